using Dapper;
using Npgsql;

namespace AuthErrorOps.Core.Clusters;

public enum ClusterSort
{
    LastSeenAt,
    TotalCount,
    FirstSeenAt,
}

public enum SortDirection
{
    Ascending,
    Descending,
}

public sealed record ClusterSummary(
    long ClusterId, string ClusterKey, string Status, string Title, long TotalCount, DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt);

public sealed record ClusterPage(IReadOnlyList<ClusterSummary> Items, long TotalElements);

public sealed record ClusterItem(
    long AuthErrorId, DateTimeOffset OccurredAt, DateTimeOffset LinkedAt, string? SourceService, string ErrorType, int HttpStatus, string? ExceptionMessage);

public sealed record ClusterDetails(
    long ClusterId, string ClusterKey, string Status, string Title, long TotalCount, DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt,
    string ErrorType, string Severity, long? SampleAuthErrorId, string? SampleExceptionClass, string? SampleExceptionMessage,
    string? SampleSourceService, IReadOnlyList<ClusterItem> RecentItems);

/// <summary>
/// Reads of auth_error_cluster for the clusters API. The ORDER BY is never built from input:
/// each (sort, direction) pair selects one of six constant statements, each served by an index
/// on (key DESC, id DESC) scanned forwards or backwards. Ties are broken by id, in the same direction.
/// </summary>
public sealed class ClusterQueries(NpgsqlDataSource dataSource)
{
    /// <summary>How many of a cluster's most recently linked errors the detail shows.</summary>
    public const int RecentItemLimit = 20;

    private const string SelectSummary = """
        SELECT id AS ClusterId, cluster_key AS ClusterKey, status AS Status, title AS Title, total_count AS TotalCount,
               first_seen_at AS FirstSeenAt, last_seen_at AS LastSeenAt
        FROM auth_error_cluster
        """;

    private const string Window = """

        LIMIT @Limit OFFSET @Offset;
        SELECT count(*) FROM auth_error_cluster;
        """;

    private const string ByLastSeenAtDesc = SelectSummary + "\nORDER BY last_seen_at DESC, id DESC" + Window;
    private const string ByLastSeenAtAsc = SelectSummary + "\nORDER BY last_seen_at ASC, id ASC" + Window;
    private const string ByTotalCountDesc = SelectSummary + "\nORDER BY total_count DESC, id DESC" + Window;
    private const string ByTotalCountAsc = SelectSummary + "\nORDER BY total_count ASC, id ASC" + Window;
    private const string ByFirstSeenAtDesc = SelectSummary + "\nORDER BY first_seen_at DESC, id DESC" + Window;
    private const string ByFirstSeenAtAsc = SelectSummary + "\nORDER BY first_seen_at ASC, id ASC" + Window;

    private const string DetailsSql = """
        SELECT id AS ClusterId, cluster_key AS ClusterKey, status AS Status, title AS Title, total_count AS TotalCount,
               first_seen_at AS FirstSeenAt, last_seen_at AS LastSeenAt, error_type AS ErrorType, severity AS Severity,
               sample_auth_error_id AS SampleAuthErrorId, sample_exception_class AS SampleExceptionClass,
               sample_exception_message AS SampleExceptionMessage, sample_source_service AS SampleSourceService
        FROM auth_error_cluster
        WHERE id = @Id;
        SELECT a.id AS AuthErrorId, a.occurred_at AS OccurredAt, ci.linked_at AS LinkedAt, a.source_service AS SourceService,
               a.error_type AS ErrorType, a.http_status AS HttpStatus, a.exception_message AS ExceptionMessage
        FROM auth_error_cluster_item ci
        JOIN auth_error a ON a.id = ci.auth_error_id
        WHERE ci.cluster_id = @Id
        ORDER BY ci.linked_at DESC, ci.auth_error_id DESC
        LIMIT @Limit;
        """;

    /// <summary>One page (0-based) of clusters and the total number of clusters.</summary>
    public async Task<ClusterPage> ListAsync(ClusterSort sort, SortDirection direction, int page, int size, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var sql = (sort, direction) switch
        {
            (ClusterSort.LastSeenAt, SortDirection.Descending) => ByLastSeenAtDesc,
            (ClusterSort.LastSeenAt, SortDirection.Ascending) => ByLastSeenAtAsc,
            (ClusterSort.TotalCount, SortDirection.Descending) => ByTotalCountDesc,
            (ClusterSort.TotalCount, SortDirection.Ascending) => ByTotalCountAsc,
            (ClusterSort.FirstSeenAt, SortDirection.Descending) => ByFirstSeenAtDesc,
            (ClusterSort.FirstSeenAt, SortDirection.Ascending) => ByFirstSeenAtAsc,
            _ => throw new ArgumentOutOfRangeException(nameof(sort), $"Unsupported sort {sort} {direction}."),
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            sql, new { Limit = size, Offset = (long)page * size }, cancellationToken: cancellationToken));
        var items = (await results.ReadAsync<SummaryRow>()).Select(row => row.ToSummary()).ToList();
        return new ClusterPage(items, await results.ReadSingleAsync<long>());
    }

    /// <summary>The cluster with its <see cref="RecentItemLimit"/> most recently linked errors, or null when there is none.</summary>
    public async Task<ClusterDetails?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            DetailsSql, new { Id = id, Limit = RecentItemLimit }, cancellationToken: cancellationToken));
        var cluster = await results.ReadSingleOrDefaultAsync<DetailsRow>();
        if (cluster is null)
        {
            return null;
        }

        var items = (await results.ReadAsync<ItemRow>()).Select(row => row.ToItem()).ToList();
        return cluster.ToDetails(items);
    }

    // Npgsql reads timestamptz as a UTC DateTime; the API speaks DateTimeOffset.
    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed record SummaryRow(long ClusterId, string ClusterKey, string Status, string Title, long TotalCount, DateTime FirstSeenAt, DateTime LastSeenAt)
    {
        public ClusterSummary ToSummary() => new(ClusterId, ClusterKey, Status, Title, TotalCount, Utc(FirstSeenAt), Utc(LastSeenAt));
    }

    private sealed record DetailsRow(
        long ClusterId, string ClusterKey, string Status, string Title, long TotalCount, DateTime FirstSeenAt, DateTime LastSeenAt,
        string ErrorType, string Severity, long? SampleAuthErrorId, string? SampleExceptionClass, string? SampleExceptionMessage,
        string? SampleSourceService)
    {
        public ClusterDetails ToDetails(IReadOnlyList<ClusterItem> recentItems) => new(
            ClusterId, ClusterKey, Status, Title, TotalCount, Utc(FirstSeenAt), Utc(LastSeenAt), ErrorType, Severity,
            SampleAuthErrorId, SampleExceptionClass, SampleExceptionMessage, SampleSourceService, recentItems);
    }

    private sealed record ItemRow(
        long AuthErrorId, DateTime OccurredAt, DateTime LinkedAt, string? SourceService, string ErrorType, short HttpStatus, string? ExceptionMessage)
    {
        public ClusterItem ToItem() => new(AuthErrorId, Utc(OccurredAt), Utc(LinkedAt), SourceService, ErrorType, HttpStatus, ExceptionMessage);
    }
}

using System.Data;
using AuthErrorOps.Core.Analysis;
using AuthErrorOps.Core.Domain;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Core.Clusters;

public enum LinkOutcome
{
    /// <summary>Analysed and linked; the cluster counted it.</summary>
    Linked,

    /// <summary>This consumer already processed the event: nothing changed.</summary>
    Duplicate,

    /// <summary>The event names an auth_error that does not exist: a poison message, nothing written.</summary>
    UnknownAuthError,
}

public sealed record LinkResult(LinkOutcome Outcome, long? ClusterId = null, bool NewCluster = false, DateTime? ReceivedAt = null);

/// <summary>
/// Processes one auth.error.recorded event exactly once in effect (DESIGN §7): in one
/// transaction it claims (consumer, event_id) in processed_message, analyses the error,
/// upserts its cluster by stack_hash, links it, and counts it only when the link is new.
/// </summary>
public sealed class ClusterLinker(NpgsqlDataSource dataSource, IAuthErrorAnalyzer analyzer)
{
    public const string ConsumerName = "cluster-linker";

    private const string ClaimAndLoadSql = """
        INSERT INTO processed_message (consumer, event_id) VALUES (@Consumer, @EventId)
        ON CONFLICT DO NOTHING
        RETURNING 1;
        SELECT id AS Id, stack_hash AS StackHash, cluster_title AS ClusterTitle, exception_class AS ExceptionClass,
               exception_message AS ExceptionMessage, root_cause_class AS RootCauseClass, error_type AS ErrorType,
               http_status AS HttpStatus, source_service AS SourceService, provider AS Provider,
               fingerprint_version AS FingerprintVersion, occurred_at AS OccurredAt, received_at AS ReceivedAt
        FROM auth_error WHERE id = @AuthErrorId;
        """;

    // total_count starts at 0 and is raised below only when the item is new, for new and old clusters alike.
    private const string UpsertAndLinkSql = """
        WITH cluster AS (
            INSERT INTO auth_error_cluster (cluster_key, title, first_seen_at, last_seen_at, fingerprint_version, error_type, severity,
                                            sample_auth_error_id, sample_exception_class, sample_exception_message, sample_source_service)
            VALUES (@StackHash, @Title, @OccurredAt, @OccurredAt, @FingerprintVersion, @ErrorType, @Severity,
                    @AuthErrorId, @ExceptionClass, @ExceptionMessage, @SourceService)
            ON CONFLICT (cluster_key) DO UPDATE SET updated_at = now()
            RETURNING id, (xmax = 0) AS created
        ),
        item AS (
            INSERT INTO auth_error_cluster_item (cluster_id, auth_error_id)
            SELECT id, @AuthErrorId FROM cluster
            ON CONFLICT DO NOTHING
            RETURNING cluster_id
        )
        SELECT cluster.id AS ClusterId, cluster.created AS Created, EXISTS (SELECT 1 FROM item) AS NewItem FROM cluster;
        """;

    private const string CountAndMarkSql = """
        UPDATE auth_error_cluster
        SET total_count = total_count + 1,
            first_seen_at = least(first_seen_at, @OccurredAt),
            last_seen_at = greatest(last_seen_at, @OccurredAt),
            updated_at = now()
        WHERE id = @ClusterId AND @NewItem;
        UPDATE auth_error
        SET status = 'LINKED', analyzed_at = now(), error_type = @ErrorType, severity = @Severity, security_signal = @SecuritySignal
        WHERE id = @AuthErrorId;
        """;

    public async Task<LinkResult> LinkAsync(Guid eventId, long authErrorId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

        StoredAuthError? error;
        await using (var loaded = await connection.QueryMultipleAsync(new CommandDefinition(
            ClaimAndLoadSql, new { Consumer = ConsumerName, EventId = eventId, AuthErrorId = authErrorId }, transaction, cancellationToken: cancellationToken)))
        {
            var claimed = (await loaded.ReadAsync<int>()).Any();
            error = await loaded.ReadSingleOrDefaultAsync<StoredAuthError>();
            if (!claimed)
            {
                return new LinkResult(LinkOutcome.Duplicate);
            }
        }

        if (error is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LinkResult(LinkOutcome.UnknownAuthError);
        }

        var analysis = await analyzer.AnalyzeAsync(error, cancellationToken);
        var parameters = new
        {
            AuthErrorId = authErrorId,
            error.StackHash,
            Title = Truncate(error.ClusterTitle ?? error.ExceptionClass, 300),
            OccurredAt = error.OccurredAt,
            error.FingerprintVersion,
            analysis.ErrorType,
            Severity = analysis.Severity.ToDatabase(),
            analysis.SecuritySignal,
            error.ExceptionClass,
            error.ExceptionMessage,
            error.SourceService,
        };
        var link = await connection.QuerySingleAsync<(long ClusterId, bool Created, bool NewItem)>(
            new CommandDefinition(UpsertAndLinkSql, parameters, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(CountAndMarkSql, new
        {
            link.ClusterId,
            link.NewItem,
            parameters.OccurredAt,
            parameters.AuthErrorId,
            parameters.ErrorType,
            parameters.Severity,
            parameters.SecuritySignal,
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new LinkResult(LinkOutcome.Linked, link.ClusterId, link.Created, error.ReceivedAt);
    }

    private static string Truncate(string value, int maxLength) => value.Length <= maxLength ? value : value[..maxLength];
}

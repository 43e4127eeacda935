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

    /// <summary>Analysing its error threw (<see cref="LinkResult.Failure"/>): nothing written for this event, which takes its retry path.</summary>
    AnalysisFailed,
}

public sealed record LinkResult(LinkOutcome Outcome, long? ClusterId = null, bool NewCluster = false, DateTime? ReceivedAt = null, string? Failure = null);

/// <summary>One auth.error.recorded event to link: its id (the processed_message key) and the error it names.</summary>
public sealed record LinkRequest(Guid EventId, long AuthErrorId);

/// <summary>
/// Processes auth.error.recorded events exactly once in effect (DESIGN §7), a batch per
/// transaction: it claims each (consumer, event_id) in processed_message, analyses the claimed
/// errors, finds or creates their clusters by stack_hash, links them, marks them LINKED and, last,
/// counts an error only when its link is new. Each step is one set-based statement for the whole batch.
/// </summary>
public sealed class ClusterLinker(NpgsqlDataSource dataSource, IAuthErrorAnalyzer analyzer)
{
    public const string ConsumerName = "cluster-linker";

    // A cluster created by a concurrent batch is seen by the next link statement; one more try covers a third batch racing.
    private const int LinkAttempts = 3;

    // Only events whose error exists are claimed, so an unknown error's event stays unprocessed (it goes to the DLQ).
    // Claims are taken in event_id order: two batches holding the same events queue behind each other instead of deadlocking.
    private const string ClaimAndLoadSql = """
        INSERT INTO processed_message (consumer, event_id)
        SELECT @Consumer, m.event_id
        FROM unnest(@EventIds, @AuthErrorIds) AS m(event_id, auth_error_id)
        WHERE EXISTS (SELECT 1 FROM auth_error a WHERE a.id = m.auth_error_id)
        ORDER BY m.event_id
        ON CONFLICT DO NOTHING
        RETURNING event_id;
        SELECT id AS Id, stack_hash AS StackHash, cluster_title AS ClusterTitle, exception_class AS ExceptionClass,
               exception_message AS ExceptionMessage, root_cause_class AS RootCauseClass, error_type AS ErrorType,
               http_status AS HttpStatus, source_service AS SourceService, provider AS Provider,
               fingerprint_version AS FingerprintVersion, occurred_at AS OccurredAt, received_at AS ReceivedAt
        FROM auth_error WHERE id = ANY(@AuthErrorIds);
        """;

    // Withdraws the claims of events whose analysis failed, inside the batch's transaction: they were never processed.
    private const string UnclaimSql = """
        DELETE FROM processed_message WHERE consumer = @Consumer AND event_id = ANY(@EventIds);
        """;

    // Finds each error's cluster and links the error to it, without locking any cluster: existing clusters are read, and
    // only keys no cluster has yet are inserted. A cluster another batch created after this statement's snapshot is
    // missing from the result (its insert did nothing): the caller runs the statement again for those errors, and the
    // new snapshot sees it. A new cluster's sample is its lowest error id in the batch; total_count starts at 0.
    private const string LinkSql = """
        WITH linked AS (
            SELECT *
            FROM unnest(@AuthErrorIds, @ClusterKeys::char(64)[], @Titles, @OccurredAts::timestamptz[], @FingerprintVersions, @ErrorTypes,
                        @Severities, @ExceptionClasses, @ExceptionMessages, @SourceServices)
                AS l(auth_error_id, cluster_key, title, occurred_at, fingerprint_version, error_type, severity,
                     exception_class, exception_message, source_service)
        ),
        existing AS (
            SELECT id, cluster_key FROM auth_error_cluster WHERE cluster_key IN (SELECT cluster_key FROM linked)
        ),
        created AS (
            INSERT INTO auth_error_cluster (cluster_key, title, first_seen_at, last_seen_at, fingerprint_version, error_type, severity,
                                            sample_auth_error_id, sample_exception_class, sample_exception_message, sample_source_service)
            SELECT DISTINCT ON (cluster_key) cluster_key, title, occurred_at, occurred_at, fingerprint_version, error_type, severity,
                   auth_error_id, exception_class, exception_message, source_service
            FROM linked
            WHERE cluster_key NOT IN (SELECT cluster_key FROM existing)
            ORDER BY cluster_key, auth_error_id
            ON CONFLICT (cluster_key) DO NOTHING
            RETURNING id, cluster_key
        ),
        cluster AS (
            SELECT id, cluster_key, false AS created FROM existing
            UNION ALL
            SELECT id, cluster_key, true FROM created
        ),
        item AS (
            INSERT INTO auth_error_cluster_item (cluster_id, auth_error_id)
            SELECT cluster.id, linked.auth_error_id FROM linked JOIN cluster USING (cluster_key)
            ON CONFLICT DO NOTHING
            RETURNING auth_error_id
        )
        SELECT linked.auth_error_id AS AuthErrorId, cluster.id AS ClusterId, cluster.created AS Created,
               EXISTS (SELECT 1 FROM item WHERE item.auth_error_id = linked.auth_error_id) AS NewItem
        FROM linked JOIN cluster USING (cluster_key);
        """;

    // Last in the transaction, so a batch holds its clusters' row locks only through this and the commit: clusters are
    // shared by most batches, and a lock taken earlier kept every other batch waiting through the whole link. The rows are
    // locked in id order, so two batches cannot deadlock. Counts only the new items; first and last seen stay the least
    // and greatest occurred_at, whatever the delivery order.
    private const string MarkAndCountSql = """
        UPDATE auth_error AS a
        SET status = 'LINKED', analyzed_at = now(), error_type = l.error_type, severity = l.severity, security_signal = l.security_signal
        FROM unnest(@AuthErrorIds, @ErrorTypes, @Severities, @SecuritySignals) AS l(id, error_type, severity, security_signal)
        WHERE a.id = l.id;
        WITH counted AS (
            SELECT cluster_id, count(*) AS new_items, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
            FROM unnest(@NewItemClusterIds::bigint[], @NewItemOccurredAts::timestamptz[]) AS i(cluster_id, occurred_at)
            GROUP BY cluster_id
        ),
        locked AS MATERIALIZED (
            SELECT id FROM auth_error_cluster WHERE id IN (SELECT cluster_id FROM counted) ORDER BY id FOR NO KEY UPDATE
        )
        UPDATE auth_error_cluster AS c
        SET total_count = c.total_count + n.new_items,
            first_seen_at = least(c.first_seen_at, n.first_seen),
            last_seen_at = greatest(c.last_seen_at, n.last_seen),
            updated_at = now()
        FROM counted AS n JOIN locked ON locked.id = n.cluster_id
        WHERE c.id = n.cluster_id;
        """;

    private sealed record ClusterLink(long AuthErrorId, long ClusterId, bool Created, bool NewItem);

    private sealed record Analysed(StoredAuthError Error, AuthErrorAnalysis Analysis);

    public async Task<LinkResult> LinkAsync(Guid eventId, long authErrorId, CancellationToken cancellationToken) =>
        (await LinkBatchAsync([new LinkRequest(eventId, authErrorId)], cancellationToken))[0];

    /// <summary>
    /// Links a batch in one transaction; the results are in request order. A repeated event (in the batch or already
    /// processed) is a <see cref="LinkOutcome.Duplicate"/>. An event whose error fails to analyse is
    /// <see cref="LinkOutcome.AnalysisFailed"/>, with nothing written for it, and the others still link. Throws, writing
    /// nothing, when the database fails.
    /// </summary>
    public async Task<IReadOnlyList<LinkResult>> LinkBatchAsync(IReadOnlyList<LinkRequest> requests, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

        HashSet<Guid> claimed;
        Dictionary<long, StoredAuthError> errors;
        await using (var loaded = await connection.QueryMultipleAsync(new CommandDefinition(ClaimAndLoadSql, new
        {
            Consumer = ConsumerName,
            EventIds = requests.Select(r => r.EventId).ToArray(),
            AuthErrorIds = requests.Select(r => r.AuthErrorId).ToArray(),
        }, transaction, cancellationToken: cancellationToken)))
        {
            claimed = (await loaded.ReadAsync<Guid>()).ToHashSet();
            errors = (await loaded.ReadAsync<StoredAuthError>()).ToDictionary(error => error.Id);
        }

        var results = new LinkResult?[requests.Count];
        // Each claimed error once, even if two events name it (only the first can create its item).
        var toLink = new Dictionary<long, Analysed>();
        var unclaimed = new List<Guid>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (!errors.TryGetValue(requests[i].AuthErrorId, out var error))
            {
                results[i] = new LinkResult(LinkOutcome.UnknownAuthError);
            }
            else if (!claimed.Remove(requests[i].EventId))
            {
                // Processed before, or earlier in this batch: its claim is taken.
                results[i] = new LinkResult(LinkOutcome.Duplicate);
            }
            else if (!toLink.ContainsKey(error.Id))
            {
                try
                {
                    toLink[error.Id] = new Analysed(error, await analyzer.AnalyzeAsync(error, cancellationToken));
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // One error that cannot be analysed must not hold back the rest of its batch.
                    results[i] = new LinkResult(LinkOutcome.AnalysisFailed, Failure: $"{exception.GetType().Name}: {exception.Message}");
                    unclaimed.Add(requests[i].EventId);
                }
            }
        }

        if (toLink.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return [.. results.Select(result => result!)];
        }

        if (unclaimed.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(UnclaimSql, new { Consumer = ConsumerName, EventIds = unclaimed.ToArray() }, transaction,
                cancellationToken: cancellationToken));
        }

        var links = await LinkAndCountAsync(connection, transaction, [.. toLink.Values], cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var announcedClusters = new HashSet<long>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (results[i] is null)
            {
                var link = links[requests[i].AuthErrorId];
                // A cluster created by this batch is reported new once.
                var newCluster = link.Created && announcedClusters.Add(link.ClusterId);
                results[i] = new LinkResult(LinkOutcome.Linked, link.ClusterId, newCluster, toLink[requests[i].AuthErrorId].Error.ReceivedAt);
            }
        }

        return [.. results.Select(result => result!)];
    }

    private static async Task<Dictionary<long, ClusterLink>> LinkAndCountAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<Analysed> linked, CancellationToken cancellationToken)
    {
        var links = new Dictionary<long, ClusterLink>(linked.Count);
        var pending = linked;
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            if (attempt > LinkAttempts)
            {
                throw new InvalidOperationException(
                    $"No cluster found or created for {pending.Count} errors (first: {pending[0].Error.Id}, cluster key {pending[0].Error.StackHash}) after {LinkAttempts} attempts.");
            }

            foreach (var link in await connection.QueryAsync<ClusterLink>(new CommandDefinition(LinkSql, new
            {
                AuthErrorIds = pending.Select(l => l.Error.Id).ToArray(),
                ClusterKeys = pending.Select(l => l.Error.StackHash).ToArray(),
                Titles = pending.Select(l => Truncate(l.Error.ClusterTitle ?? l.Error.ExceptionClass, 300)).ToArray(),
                OccurredAts = pending.Select(l => l.Error.OccurredAt).ToArray(),
                FingerprintVersions = pending.Select(l => l.Error.FingerprintVersion).ToArray(),
                ErrorTypes = pending.Select(l => l.Analysis.ErrorType).ToArray(),
                Severities = pending.Select(l => l.Analysis.Severity.ToDatabase()).ToArray(),
                ExceptionClasses = pending.Select(l => l.Error.ExceptionClass).ToArray(),
                ExceptionMessages = pending.Select(l => l.Error.ExceptionMessage).ToArray(),
                SourceServices = pending.Select(l => l.Error.SourceService).ToArray(),
            }, transaction, cancellationToken: cancellationToken)))
            {
                links[link.AuthErrorId] = link;
            }

            pending = [.. pending.Where(l => !links.ContainsKey(l.Error.Id))];
        }

        var newItems = linked.Where(l => links[l.Error.Id].NewItem).ToList();
        await connection.ExecuteAsync(new CommandDefinition(MarkAndCountSql, new
        {
            AuthErrorIds = linked.Select(l => l.Error.Id).ToArray(),
            ErrorTypes = linked.Select(l => l.Analysis.ErrorType).ToArray(),
            Severities = linked.Select(l => l.Analysis.Severity.ToDatabase()).ToArray(),
            SecuritySignals = linked.Select(l => l.Analysis.SecuritySignal).ToArray(),
            NewItemClusterIds = newItems.Select(l => links[l.Error.Id].ClusterId).ToArray(),
            NewItemOccurredAts = newItems.Select(l => l.Error.OccurredAt).ToArray(),
        }, transaction, cancellationToken: cancellationToken));
        return links;
    }

    private static string Truncate(string value, int maxLength) => value.Length <= maxLength ? value : value[..maxLength];
}

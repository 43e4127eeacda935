using AuthErrorOps.Core.Domain;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Core.Outbox;

/// <summary>A claimed outbox row: what the relay publishes.</summary>
public sealed record OutboxMessage(long Id, Guid EventId, string EventType, string Payload, string? TraceParent, string? TraceState, int Attempts);

/// <summary>A publish that did not get a broker confirm, and why.</summary>
public sealed record PublishFailure(long Id, string Reason, string Error);

public sealed record OutboxCounts(IReadOnlyDictionary<string, long> Counts, double? OldestPendingAgeSeconds);

/// <summary>
/// Every state transition of outbox_message (DESIGN §5) in one place. Transitions out of
/// PROCESSING are conditional on the owner, so a relay whose lease was reaped cannot
/// overwrite the work of the relay that took the row over.
/// </summary>
public sealed class OutboxStore(NpgsqlDataSource dataSource)
{
    // The claim must walk ix_outbox_message_pending in id order and stop after @BatchSize rows.
    // Statistics taken while PENDING was nearly empty (the usual state) make a sudden backlog look
    // tiny, and the planner then bitmap-scans every PENDING row and sorts them: 600 ms per claim
    // at 200,000 rows (docs/performance.md). Ruling out bitmap scans and sorts for this one
    // transaction leaves only the ordered index scan.
    internal const string ClaimPlanSql = """
        SET LOCAL enable_bitmapscan = off;
        SET LOCAL enable_sort = off;
        """;

    internal const string ClaimSql = """
        UPDATE outbox_message o
        SET status = 'PROCESSING', locked_by = @Owner, locked_until = now() + @Lease
        FROM (
            SELECT id FROM outbox_message
            WHERE status = 'PENDING' AND next_attempt_at <= now() AND id >= @FromId
            ORDER BY id
            LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED
        ) due
        WHERE o.id = due.id
        RETURNING o.id AS Id, o.event_id AS EventId, o.event_type AS EventType, o.payload::text AS Payload,
                  o.trace_parent AS TraceParent, o.trace_state AS TraceState, o.attempts AS Attempts
        """;

    // The transitions out of PROCESSING find a batch's rows by id and owner. The owner implies
    // PROCESSING (ck_outbox_message_lease), and not stating the status keeps the planner off the
    // lease index, whose predicate it is: that index keeps an entry for every row claimed since the
    // last vacuum, and with statistics from a quiet moment the planner walked it, or intersected it
    // with the primary key, to find 20 rows (6 ms per batch after 80,000 claims; docs/performance.md).
    internal const string MarkPublishedSql = """
        UPDATE outbox_message
        SET status = 'PUBLISHED', published_at = now(), locked_by = NULL, locked_until = NULL
        WHERE id = ANY(@Ids) AND locked_by = @Owner
        """;

    // Exponential backoff with equal jitter: half the delay is fixed, half random.
    private const string MarkFailedSql = """
        UPDATE outbox_message o
        SET attempts = o.attempts + 1,
            status = CASE WHEN o.attempts + 1 >= @MaxAttempts THEN 'DEAD' ELSE 'PENDING' END,
            next_attempt_at = now() + make_interval(secs => least(@CapSeconds, @BaseSeconds * power(2, o.attempts)) * (0.5 + random() * 0.5)),
            last_error = left(f.reason || ': ' || f.error, 2000),
            locked_by = NULL, locked_until = NULL
        FROM unnest(@Ids::bigint[], @Reasons::text[], @Errors::text[]) AS f(id, reason, error)
        WHERE o.id = f.id AND o.locked_by = @Owner
        """;

    private const string ReleaseSql = """
        UPDATE outbox_message
        SET status = 'PENDING', locked_by = NULL, locked_until = NULL
        WHERE id = ANY(@Ids) AND locked_by = @Owner
        """;

    // A lease that ran out means its relay died or hung: the attempt counts, as it may have published.
    internal const string ReapSql = """
        UPDATE outbox_message o
        SET attempts = o.attempts + 1,
            status = CASE WHEN o.attempts + 1 >= @MaxAttempts THEN 'DEAD' ELSE 'PENDING' END,
            next_attempt_at = now(),
            last_error = left('lease expired (owner ' || coalesce(o.locked_by, '?') || ')', 2000),
            locked_by = NULL, locked_until = NULL
        FROM (
            SELECT id FROM outbox_message
            WHERE status = 'PROCESSING' AND locked_until < now()
            ORDER BY locked_until
            LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED
        ) expired
        WHERE o.id = expired.id
        """;

    private const string DeletePublishedSql = """
        DELETE FROM outbox_message
        WHERE id IN (
            SELECT id FROM outbox_message
            WHERE status = 'PUBLISHED' AND published_at < now() - @RetentionPeriod
            LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED)
        """;

    private const string RequeueDeadSql = $"""
        WITH requeued AS (
            UPDATE outbox_message
            SET status = 'PENDING', attempts = 0, next_attempt_at = now(),
                last_error = left('requeued by an operator at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                                  || '; previous error: ' || coalesce(last_error, 'none'), 2000)
            WHERE id = @Id AND status = 'DEAD'
            RETURNING id
        )
        SELECT count(*) FROM requeued;
        SELECT pg_notify('{OutboxChannel.Name}', '');
        """;

    private const string StatusSql = "SELECT status FROM outbox_message WHERE id = @Id";

    // For the relay's gauges every few seconds: the statuses with partial indexes only. PUBLISHED
    // is left out: counting it scans the whole retained history (7 days by default).
    internal const string BacklogSql = """
        SELECT 'PENDING' AS status, count(*) AS count FROM outbox_message WHERE status = 'PENDING'
        UNION ALL SELECT 'PROCESSING', count(*) FROM outbox_message WHERE status = 'PROCESSING'
        UNION ALL SELECT 'DEAD', count(*) FROM outbox_message WHERE status = 'DEAD';
        SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox_message WHERE status = 'PENDING';
        """;

    private const string CountsSql = """
        SELECT status, count(*) AS count FROM outbox_message GROUP BY status;
        SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox_message WHERE status = 'PENDING';
        """;

    /// <summary>
    /// Claims up to <paramref name="batchSize"/> due PENDING rows with ids from <paramref name="fromId"/> on, lowest
    /// first (0: from the head of the index; see <c>ClaimFloor</c> in the relay for why a claim starts later).
    /// </summary>
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(string owner, int batchSize, TimeSpan lease, long fromId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await connection.QueryAsync<OutboxMessage>(new CommandDefinition(
            ClaimPlanSql + ClaimSql, new { Owner = owner, Lease = lease, BatchSize = batchSize, FromId = fromId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return claimed.OrderBy(message => message.Id).ToList();
    }

    public async Task<int> MarkPublishedAsync(string owner, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(MarkPublishedSql, new { Owner = owner, Ids = ids.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task<int> MarkFailedAsync(string owner, IReadOnlyCollection<PublishFailure> failures, int maxAttempts, TimeSpan backoffBase, TimeSpan backoffCap, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(MarkFailedSql, new
        {
            Owner = owner,
            Ids = failures.Select(f => f.Id).ToArray(),
            Reasons = failures.Select(f => f.Reason).ToArray(),
            Errors = failures.Select(f => f.Error).ToArray(),
            MaxAttempts = maxAttempts,
            BaseSeconds = backoffBase.TotalSeconds,
            CapSeconds = backoffCap.TotalSeconds,
        }, cancellationToken: cancellationToken));
    }

    public async Task<int> ReleaseAsync(string owner, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(ReleaseSql, new { Owner = owner, Ids = ids.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task<int> ReapExpiredAsync(int batchSize, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(ReapSql, new { BatchSize = batchSize, MaxAttempts = maxAttempts }, cancellationToken: cancellationToken));
    }

    public async Task<int> DeletePublishedAsync(TimeSpan retentionPeriod, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(DeletePublishedSql, new { RetentionPeriod = retentionPeriod, BatchSize = batchSize }, cancellationToken: cancellationToken));
    }

    /// <summary>DEAD → PENDING with attempts reset. Returns the row's status before, or null when there is no such row.</summary>
    public async Task<string?> RequeueDeadAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var requeued = await connection.ExecuteScalarAsync<long>(new CommandDefinition(RequeueDeadSql, new { Id = id }, cancellationToken: cancellationToken));
        return requeued == 1
            ? OutboxStatus.Dead
            : await connection.ExecuteScalarAsync<string?>(new CommandDefinition(StatusSql, new { Id = id }, cancellationToken: cancellationToken));
    }

    /// <summary>Every status, PUBLISHED included: an operator's question, not a polling loop's.</summary>
    public Task<OutboxCounts> CountAsync(CancellationToken cancellationToken) =>
        CountAsync(CountsSql, [OutboxStatus.Pending, OutboxStatus.Processing, OutboxStatus.Published, OutboxStatus.Dead], cancellationToken);

    /// <summary>PENDING, PROCESSING and DEAD only, from their partial indexes: cheap enough to poll.</summary>
    public Task<OutboxCounts> CountBacklogAsync(CancellationToken cancellationToken) =>
        CountAsync(BacklogSql, [OutboxStatus.Pending, OutboxStatus.Processing, OutboxStatus.Dead], cancellationToken);

    private async Task<OutboxCounts> CountAsync(string sql, string[] statuses, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, cancellationToken: cancellationToken));
        var counts = statuses.ToDictionary(status => status, _ => 0L, StringComparer.Ordinal);
        foreach (var (status, count) in await results.ReadAsync<(string, long)>())
        {
            counts[status] = count;
        }

        return new OutboxCounts(counts, await results.ReadSingleAsync<double?>());
    }
}

using Dapper;
using Npgsql;

namespace AuthErrorOps.Core.DeadLetters;

/// <summary>What the consumer's DLQ drainer records about one dead-lettered message.</summary>
public sealed record DeadLetterRecord(string MessageKey, Guid? EventId, string? EventType, string Reason, string? Error, string? Payload, string? HeadersJson, int RetryCount);

/// <summary>replay_status values of dead_letter_message.</summary>
public static class ReplayStatus
{
    public const string None = "NONE";
    public const string Replayed = "REPLAYED";
    public const string Failed = "FAILED";
}

public sealed record DeadLetterSummary(
    long Id, Guid? EventId, string Reason, string? LastError, int DeliveryCount, DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt, string ReplayStatus);

public sealed record DeadLetterPage(IReadOnlyList<DeadLetterSummary> Items, long TotalElements);

/// <summary>What a replay needs of a row. <see cref="ReadAt"/> is the database's clock when it was read.</summary>
public sealed record DeadLetterReplaySource(long Id, string MessageKey, Guid? EventId, string? EventType, string? Payload, DateTime ReadAt);

public sealed record DeadLetterReplayState(long Id, string ReplayStatus, int ReplayCount, DateTimeOffset? ReplayedAt);

/// <summary>
/// Every statement on dead_letter_message: the consumer's DLQ drainer records (upserts) what
/// reached the DLQ, the ops API lists rows and records replays.
/// </summary>
public sealed class DeadLetterLedger(NpgsqlDataSource dataSource)
{
    // A message seen again after a replay failed once more: the row is no longer "replayed".
    private const string UpsertSql = """
        INSERT INTO dead_letter_message (message_key, event_id, event_type, reason, error, payload, headers, retry_count)
        VALUES (@MessageKey, @EventId, @EventType, @Reason, @Error, @Payload, @HeadersJson::jsonb, @RetryCount)
        ON CONFLICT (message_key) DO UPDATE SET
            delivery_count = dead_letter_message.delivery_count + 1, last_seen_at = now(), reason = excluded.reason,
            error = excluded.error, headers = excluded.headers, retry_count = excluded.retry_count,
            replay_status = CASE WHEN dead_letter_message.replay_status = 'REPLAYED' THEN 'NONE' ELSE dead_letter_message.replay_status END
        """;

    private const string SelectSummary = """
        SELECT id AS Id, event_id AS EventId, reason AS Reason, error AS LastError, delivery_count AS DeliveryCount,
               first_seen_at AS FirstSeenAt, last_seen_at AS LastSeenAt, replay_status AS ReplayStatus
        FROM dead_letter_message
        """;

    private const string ListSql = SelectSummary + """

        ORDER BY last_seen_at DESC, id DESC
        LIMIT @Limit OFFSET @Offset;
        SELECT count(*) FROM dead_letter_message;
        """;

    private const string ListByReasonSql = SelectSummary + """

        WHERE reason = @Reason
        ORDER BY last_seen_at DESC, id DESC
        LIMIT @Limit OFFSET @Offset;
        SELECT count(*) FROM dead_letter_message WHERE reason = @Reason;
        """;

    private const string ReplaySourceSql = """
        SELECT id AS Id, message_key AS MessageKey, event_id AS EventId, event_type AS EventType, payload AS Payload, now() AS ReadAt
        FROM dead_letter_message
        WHERE id = @Id
        """;

    // If the message came back to the DLQ while it was being replayed (last_seen_at moved past the
    // read), the drainer's newer state stands; the replay itself is still counted.
    private const string MarkReplayedSql = """
        UPDATE dead_letter_message
        SET replay_status = CASE WHEN last_seen_at > @ReadAt THEN replay_status ELSE 'REPLAYED' END,
            replay_count = replay_count + 1,
            replayed_at = now()
        WHERE id = @Id
        RETURNING id AS Id, replay_status AS ReplayStatus, replay_count AS ReplayCount, replayed_at AS ReplayedAt
        """;

    private const string MarkReplayFailedSql = """
        UPDATE dead_letter_message
        SET replay_status = 'FAILED'
        WHERE id = @Id
        """;

    public async Task UpsertAsync(DeadLetterRecord record, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(UpsertSql, record, cancellationToken: ct));
    }

    /// <summary>One page (0-based) of rows, most recently seen first, optionally only those with <paramref name="reason"/>.</summary>
    public async Task<DeadLetterPage> ListAsync(string? reason, int page, int size, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            reason is null ? ListSql : ListByReasonSql,
            new { Reason = reason, Limit = size, Offset = (long)page * size },
            cancellationToken: ct));
        var items = (await results.ReadAsync<SummaryRow>()).Select(row => row.ToSummary()).ToList();
        return new DeadLetterPage(items, await results.ReadSingleAsync<long>());
    }

    public async Task<DeadLetterReplaySource?> GetReplaySourceAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DeadLetterReplaySource>(new CommandDefinition(ReplaySourceSql, new { Id = id }, cancellationToken: ct));
    }

    /// <summary>
    /// Records a confirmed replay: REPLAYED, replay_count + 1, replayed_at = now(); <paramref name="readAt"/>
    /// is <see cref="DeadLetterReplaySource.ReadAt"/>. Null when the row is gone.
    /// </summary>
    public async Task<DeadLetterReplayState?> MarkReplayedAsync(long id, DateTime readAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ReplayStateRow>(new CommandDefinition(
            MarkReplayedSql, new { Id = id, ReadAt = DateTime.SpecifyKind(readAt, DateTimeKind.Utc) }, cancellationToken: ct));
        return row?.ToState();
    }

    /// <summary>Records a replay the broker did not accept.</summary>
    public async Task MarkReplayFailedAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(MarkReplayFailedSql, new { Id = id }, cancellationToken: ct));
    }

    // Npgsql reads timestamptz as a UTC DateTime; the API speaks DateTimeOffset.
    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed record SummaryRow(
        long Id, Guid? EventId, string Reason, string? LastError, int DeliveryCount, DateTime FirstSeenAt, DateTime LastSeenAt, string ReplayStatus)
    {
        public DeadLetterSummary ToSummary() => new(Id, EventId, Reason, LastError, DeliveryCount, Utc(FirstSeenAt), Utc(LastSeenAt), ReplayStatus);
    }

    private sealed record ReplayStateRow(long Id, string ReplayStatus, int ReplayCount, DateTime? ReplayedAt)
    {
        public DeadLetterReplayState ToState() => new(Id, ReplayStatus, ReplayCount, ReplayedAt is { } at ? Utc(at) : null);
    }
}

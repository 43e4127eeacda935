using Dapper;
using Npgsql;

namespace AuthErrorOps.Core.DeadLetters;

public sealed record DeadLetterRecord(string MessageKey, Guid? EventId, string? EventType, string Reason, string? Error, string? Payload, string? HeadersJson, int RetryCount);

/// <summary>Placeholder until the ops API work lands; the upsert is the contract the consumer uses.</summary>
public sealed class DeadLetterLedger(NpgsqlDataSource dataSource)
{
    private const string UpsertSql = """
        INSERT INTO dead_letter_message (message_key, event_id, event_type, reason, error, payload, headers, retry_count)
        VALUES (@MessageKey, @EventId, @EventType, @Reason, @Error, @Payload, @HeadersJson::jsonb, @RetryCount)
        ON CONFLICT (message_key) DO UPDATE SET
            delivery_count = dead_letter_message.delivery_count + 1, last_seen_at = now(), reason = excluded.reason,
            error = excluded.error, headers = excluded.headers, retry_count = excluded.retry_count,
            replay_status = CASE WHEN dead_letter_message.replay_status = 'REPLAYED' THEN 'NONE' ELSE dead_letter_message.replay_status END
        """;

    public async Task UpsertAsync(DeadLetterRecord record, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(UpsertSql, record, cancellationToken: ct));
    }
}

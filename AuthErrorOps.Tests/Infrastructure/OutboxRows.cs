using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>Outbox rows written straight into a test database, as ingest would write them.</summary>
public static class OutboxRows
{
    private const string InsertSql = """
        INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash, trace_parent)
        SELECT gen_random_uuid(), 'auth_error', g::text, 'auth.error.recorded.v1', jsonb_build_object('n', g), repeat('0', 64), @TraceParent
        FROM generate_series(1, @Count) AS g
        RETURNING event_id;
        SELECT pg_notify('outbox_message_created', '');
        """;

    public static async Task<IReadOnlyList<Guid>> InsertAsync(NpgsqlDataSource dataSource, int count, string? traceParent = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        return (await connection.QueryAsync<Guid>(InsertSql, new { Count = count, TraceParent = traceParent })).ToList();
    }

    public static async Task<IReadOnlyDictionary<string, long>> CountByStatusAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        return (await connection.QueryAsync<(string Status, long Count)>("SELECT status, count(*) FROM outbox_message GROUP BY status"))
            .ToDictionary(row => row.Status, row => row.Count);
    }

    public static Task WaitUntilAllPublishedAsync(NpgsqlDataSource dataSource, int expected, TimeSpan timeout) =>
        Eventually.HoldsAsync($"all {expected} outbox rows PUBLISHED", async () =>
        {
            var counts = await CountByStatusAsync(dataSource);
            return counts.GetValueOrDefault("PUBLISHED") == expected && counts.Values.Sum() == expected;
        }, timeout);
}

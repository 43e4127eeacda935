using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Consumer;

/// <summary>Consumer scenarios of DESIGN §7 with short retry tiers (0.3 s, 0.6 s). Each test owns a database and vhost.</summary>
public sealed class ConsumerTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record LedgerRow(string Reason, int RetryCount, string Payload, Guid EventId);

    private sealed record Scene(NpgsqlDataSource DataSource, Dictionary<string, string?> Settings, string AmqpUri) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => DataSource.DisposeAsync();
    }

    private async Task<Scene> SceneAsync(string owner)
    {
        var connectionString = await infrastructure.DatabaseAsync($"{nameof(ConsumerTests)}_{owner}");
        var amqpUri = await infrastructure.VirtualHostAsync($"{nameof(ConsumerTests)}_{owner}");
        return new Scene(NpgsqlDataSource.Create(connectionString), ConsumerHost.Settings(connectionString, amqpUri), amqpUri);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    private static Task WaitForProcessedAsync(NpgsqlDataSource dataSource, long expected, TimeSpan timeout) =>
        Eventually.HoldsAsync($"{expected} processed events", async () =>
            await ScalarAsync<long>(dataSource, "SELECT count(*) FROM processed_message") == expected, timeout);

    [Fact]
    public async Task One_event_links_its_error_to_a_new_cluster_counted_once()
    {
        await using var scene = await SceneAsync(nameof(One_event_links_its_error_to_a_new_cluster_counted_once));
        await using var consumer = ConsumerHost.Start(scene.Settings);
        var row = (await AuthErrorRows.InsertAsync(scene.DataSource, 1)).Single();

        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, [row]);
        await WaitForProcessedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));

        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        var cluster = await db.QuerySingleAsync<(long Id, string Key, long Total, string Title, DateTime FirstSeen, DateTime LastSeen)>(
            "SELECT id, cluster_key, total_count, title, first_seen_at, last_seen_at FROM auth_error_cluster");
        Assert.Equal((row.StackHash, 1L), (cluster.Key, cluster.Total));
        Assert.Equal("InvalidTokenException at Variant0.Validate", cluster.Title);
        Assert.Equal((row.OccurredAt, row.OccurredAt), (cluster.FirstSeen, cluster.LastSeen));
        Assert.Equal(cluster.Id, await db.ExecuteScalarAsync<long>("SELECT cluster_id FROM auth_error_cluster_item WHERE auth_error_id = @Id", new { row.Id }));
        Assert.Equal("LINKED", await db.ExecuteScalarAsync<string>("SELECT status FROM auth_error WHERE id = @Id", new { row.Id }));
        Assert.Equal(ClusterLinker.ConsumerName, await db.ExecuteScalarAsync<string>("SELECT consumer FROM processed_message WHERE event_id = @EventId", new { row.EventId }));
    }

    [Fact]
    public async Task The_same_event_delivered_repeatedly_to_two_consumers_is_counted_once()
    {
        await using var scene = await SceneAsync(nameof(The_same_event_delivered_repeatedly_to_two_consumers_is_counted_once));
        await using var first = ConsumerHost.Start(scene.Settings);
        await using var second = ConsumerHost.Start(scene.Settings);
        var row = (await AuthErrorRows.InsertAsync(scene.DataSource, 1)).Single();

        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, Enumerable.Repeat(row, 20));
        await WaitForProcessedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));
        await WaitForQueueEmptyAsync(scene);

        Assert.Equal(1, await ScalarAsync<long>(scene.DataSource, "SELECT total_count FROM auth_error_cluster"));
        Assert.Equal(1, await ScalarAsync<long>(scene.DataSource, "SELECT count(*) FROM auth_error_cluster_item"));
    }

    [Fact]
    public async Task A_failure_then_success_is_processed_after_one_retry_tier_and_nothing_is_dead_lettered()
    {
        await using var scene = await SceneAsync(nameof(A_failure_then_success_is_processed_after_one_retry_tier_and_nothing_is_dead_lettered));
        var analyzer = new ScriptedAnalyzer();
        await using var consumer = ConsumerHost.Start(scene.Settings, analyzer);
        var row = (await AuthErrorRows.InsertAsync(scene.DataSource, 1)).Single();
        analyzer.FailTimes(row.Id, 1);

        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, [row]);
        await WaitForProcessedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));

        Assert.Equal(2, analyzer.CallsFor(row.Id));
        Assert.Equal(1, await ScalarAsync<long>(scene.DataSource, "SELECT total_count FROM auth_error_cluster"));
        await Task.Delay(500, Ct);
        Assert.Equal(0, await ScalarAsync<long>(scene.DataSource, "SELECT count(*) FROM dead_letter_message"));
    }

    [Fact]
    public async Task An_event_that_always_fails_is_dead_lettered_after_the_last_tier_and_a_replay_counts_it_once()
    {
        await using var scene = await SceneAsync(nameof(An_event_that_always_fails_is_dead_lettered_after_the_last_tier_and_a_replay_counts_it_once));
        var analyzer = new ScriptedAnalyzer();
        await using var consumer = ConsumerHost.Start(scene.Settings, analyzer);
        var row = (await AuthErrorRows.InsertAsync(scene.DataSource, 1)).Single();
        analyzer.FailTimes(row.Id, int.MaxValue);

        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, [row]);
        var ledger = await Eventually.ReturnsAsync("the dead-letter ledger row", async () =>
        {
            await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
            return await db.QuerySingleOrDefaultAsync<LedgerRow>(
                "SELECT reason AS Reason, retry_count AS RetryCount, payload AS Payload, event_id AS EventId FROM dead_letter_message");
        }, TimeSpan.FromSeconds(20));

        Assert.Equal(("retries_exhausted", ConsumerHost.ShortRetryTiers.Length, row.EventId), (ledger.Reason, ledger.RetryCount, ledger.EventId));
        Assert.Equal(1 + ConsumerHost.ShortRetryTiers.Length, analyzer.CallsFor(row.Id));
        await Eventually.HoldsAsync("auth_error marked DEAD", async () =>
            await ScalarAsync<string>(scene.DataSource, "SELECT status FROM auth_error WHERE id = @Id", new { row.Id }) == "DEAD", TimeSpan.FromSeconds(5));
        Assert.Equal(0, await ScalarAsync<long>(scene.DataSource, "SELECT count(*) FROM auth_error_cluster_item"));
        Assert.Equal(0, await ScalarAsync<long>(scene.DataSource, "SELECT count(*) FROM processed_message"));

        // The cause is fixed; the stored payload is replayed twice (as the ops API does) and counted once.
        analyzer.Heal(row.Id);
        var replay = (row.EventId.ToString(), AuthErrorTopology.RecordedEventType, AuthErrorRows.Utf8(ledger.Payload));
        await AuthErrorRows.PublishAsync(scene.AmqpUri, [replay, replay]);
        await WaitForProcessedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));
        await WaitForQueueEmptyAsync(scene);
        Assert.Equal(1, await ScalarAsync<long>(scene.DataSource, "SELECT total_count FROM auth_error_cluster"));
        Assert.Equal("LINKED", await ScalarAsync<string>(scene.DataSource, "SELECT status FROM auth_error WHERE id = @Id", new { row.Id }));
    }

    [Fact]
    public async Task Poison_messages_of_each_kind_go_to_the_dlq_without_writing_anything_else()
    {
        await using var scene = await SceneAsync(nameof(Poison_messages_of_each_kind_go_to_the_dlq_without_writing_anything_else));
        await using var consumer = ConsumerHost.Start(scene.Settings);
        var row = (await AuthErrorRows.InsertAsync(scene.DataSource, 1)).Single();
        var missing = row with { Id = row.Id + 1_000_000, EventId = Guid.NewGuid() };
        var type = AuthErrorTopology.RecordedEventType;
        (string? MessageId, string? Type, byte[] Body)[] poison =
        [
            (Guid.NewGuid().ToString(), type, AuthErrorRows.Utf8("{not json")),
            (Guid.NewGuid().ToString(), type, AuthErrorRows.Utf8("""{"authErrorId": 5}""")),
            (Guid.NewGuid().ToString(), type, AuthErrorRows.Utf8($$"""{"eventId": "{{Guid.NewGuid()}}"}""")),
            (row.EventId.ToString(), "auth.error.recorded.v9", AuthErrorRows.Payload(row)),
            (Guid.NewGuid().ToString(), type, AuthErrorRows.Payload(row)),
            (missing.EventId.ToString(), type, AuthErrorRows.Payload(missing)),
            (null, type, AuthErrorRows.Utf8("null")),
        ];

        await AuthErrorRows.PublishAsync(scene.AmqpUri, poison);
        await Eventually.HoldsAsync("every poison message in the ledger", async () =>
            await ScalarAsync<long>(scene.DataSource, "SELECT count(*) FROM dead_letter_message") == poison.Length, TimeSpan.FromSeconds(20));

        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        var reasons = (await db.QueryAsync<string>("SELECT reason FROM dead_letter_message")).ToList();
        Assert.Equal(poison.Length - 1, reasons.Count(r => r == "malformed"));
        Assert.Single(reasons, "unknown_auth_error");
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message"));
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error_cluster"));
        Assert.Equal("RECEIVED", await db.ExecuteScalarAsync<string>("SELECT status FROM auth_error WHERE id = @Id", new { row.Id }));
    }

    [Fact]
    public async Task Five_thousand_events_over_fifty_variants_on_two_consumers_with_duplicates_are_counted_exactly()
    {
        await using var scene = await SceneAsync(nameof(Five_thousand_events_over_fifty_variants_on_two_consumers_with_duplicates_are_counted_exactly));
        await using var first = ConsumerHost.Start(scene.Settings);
        await using var second = ConsumerHost.Start(scene.Settings);
        var rows = await AuthErrorRows.InsertAsync(scene.DataSource, 5_000, variants: 50);
        var deliveries = rows.Concat(rows.Where((_, index) => index % 10 == 0)).OrderBy(_ => Random.Shared.Next()).ToList();

        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, deliveries);
        await WaitForProcessedAsync(scene.DataSource, rows.Count, TimeSpan.FromSeconds(120));
        await WaitForQueueEmptyAsync(scene);

        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(50, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error_cluster"));
        var mismatched = await db.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM auth_error_cluster c
            JOIN LATERAL (SELECT count(*) AS items, min(a.occurred_at) AS first_seen, max(a.occurred_at) AS last_seen
                          FROM auth_error_cluster_item i JOIN auth_error a ON a.id = i.auth_error_id WHERE i.cluster_id = c.id) s ON true
            WHERE c.total_count <> s.items OR c.first_seen_at <> s.first_seen OR c.last_seen_at <> s.last_seen
            """);
        Assert.Equal(0, mismatched);
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE status = 'LINKED'"));
    }

    private async Task WaitForQueueEmptyAsync(Scene scene)
    {
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(scene.AmqpUri) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        await Eventually.HoldsAsync($"{AuthErrorTopology.RecordedQueue} drained", async () =>
        {
            var declared = await channel.QueueDeclarePassiveAsync(AuthErrorTopology.RecordedQueue, Ct);
            return declared.MessageCount == 0 && declared.ConsumerCount > 0;
        }, TimeSpan.FromSeconds(30));
        // Quorum queue counts lag a little; give in-flight deliveries time to settle.
        await Task.Delay(300, Ct);
    }
}

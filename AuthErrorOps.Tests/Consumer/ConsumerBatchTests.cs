using System.Diagnostics;
using System.Threading.Channels;
using AuthErrorOps.Consumer;
using AuthErrorOps.Consumer.Messaging;
using AuthErrorOps.Core.Analysis;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Consumer;

/// <summary>Several deliveries per transaction (Consumer:BatchSize, Consumer:BatchLinger) keep every guarantee of one per transaction.</summary>
public sealed class ConsumerBatchTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Cluster counts, items and first/last seen agree with the linked errors themselves.
    private const string MismatchedClustersSql = """
        SELECT count(*) FROM auth_error_cluster c
        JOIN LATERAL (SELECT count(*) AS items, min(a.occurred_at) AS first_seen, max(a.occurred_at) AS last_seen
                      FROM auth_error_cluster_item i JOIN auth_error a ON a.id = i.auth_error_id WHERE i.cluster_id = c.id) s ON true
        WHERE c.total_count <> s.items OR c.first_seen_at <> s.first_seen OR c.last_seen_at <> s.last_seen
        """;

    private sealed record LedgerRow(string Reason, Guid EventId);

    private sealed record Scene(NpgsqlDataSource DataSource, Dictionary<string, string?> Settings, string AmqpUri) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => DataSource.DisposeAsync();
    }

    private async Task<Scene> SceneAsync(string owner)
    {
        var connectionString = await infrastructure.DatabaseAsync($"{nameof(ConsumerBatchTests)}_{owner}");
        var amqpUri = await infrastructure.VirtualHostAsync($"{nameof(ConsumerBatchTests)}_{owner}");
        var scene = new Scene(NpgsqlDataSource.Create(connectionString), ConsumerHost.Settings(connectionString, amqpUri), amqpUri);
        // Schema and topology first (a consumer declares them), so a backlog can wait in the queue.
        await ConsumerHost.Start(scene.Settings).DisposeAsync();
        return scene;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>A migrated database of its own holding <paramref name="count"/> stored errors over <paramref name="variants"/> fingerprints.</summary>
    private async Task<(NpgsqlDataSource DataSource, IReadOnlyList<StoredRow> Rows)> LinkerDatabaseAsync(string owner, int count, int variants)
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync($"{nameof(ConsumerBatchTests)}_{owner}");
        return (dataSource, await AuthErrorRows.InsertAsync(dataSource, count, variants));
    }

    private static Task WaitForProcessedAsync(NpgsqlDataSource dataSource, long expected, TimeSpan timeout) =>
        Eventually.HoldsAsync($"{expected} processed events", async () =>
            await ScalarAsync<long>(dataSource, "SELECT count(*) FROM processed_message") == expected, timeout);

    [Fact]
    public async Task A_batch_links_each_event_once_and_reports_repeats_inside_it_and_from_earlier_batches_as_duplicates()
    {
        var (dataSource, rows) = await LinkerDatabaseAsync("linker", 4, variants: 2);
        await using var disposeDataSource = dataSource;
        var (a, b, c, d) = (Request(rows[0]), Request(rows[1]), Request(rows[2]), Request(rows[3]));
        var unknown = new LinkRequest(Guid.NewGuid(), rows[3].Id + 1_000_000);
        var linker = new ClusterLinker(dataSource, new RuleBasedAuthErrorAnalyzer());

        var first = await linker.LinkBatchAsync([a, b, a, unknown, c, b], Ct);
        Assert.Equal(new[] { LinkOutcome.Linked, LinkOutcome.Linked, LinkOutcome.Duplicate, LinkOutcome.UnknownAuthError, LinkOutcome.Linked, LinkOutcome.Duplicate },
            first.Select(r => r.Outcome));
        // Rows 0 and 2 share variant 0's cluster, row 1 has variant 1's: each new cluster is reported new once.
        Assert.Equal(2, first.Count(r => r.NewCluster));
        Assert.Equal(first[0].ClusterId, first[4].ClusterId);

        var second = await linker.LinkBatchAsync([c, d, a, d], Ct);
        Assert.Equal(new[] { LinkOutcome.Duplicate, LinkOutcome.Linked, LinkOutcome.Duplicate, LinkOutcome.Duplicate }, second.Select(r => r.Outcome));
        Assert.False(second[1].NewCluster);
        Assert.Equal(first[1].ClusterId, second[1].ClusterId);

        await using var db = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(4, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message"));
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message WHERE event_id = @EventId", new { unknown.EventId }));
        Assert.Equal(new[] { 2L, 2L }, await db.QueryAsync<long>("SELECT total_count FROM auth_error_cluster ORDER BY cluster_key"));
        Assert.Equal(0, await db.ExecuteScalarAsync<long>(MismatchedClustersSql));
        Assert.Equal(4, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE status = 'LINKED'"));
    }

    [Fact]
    public async Task Concurrent_batches_over_the_same_events_and_clusters_in_any_order_neither_deadlock_nor_count_twice()
    {
        var (dataSource, rows) = await LinkerDatabaseAsync("concurrent", 400, variants: 20);
        await using var disposeDataSource = dataSource;
        var linker = new ClusterLinker(dataSource, new RuleBasedAuthErrorAnalyzer());

        // Eight batches of every event, each in its own order: they contend for the same claims and cluster rows.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            linker.LinkBatchAsync([.. rows.Select(Request).OrderBy(_ => Random.Shared.Next())], Ct)));

        Assert.Equal(rows.Count, results.Sum(batch => batch.Count(r => r.Outcome == LinkOutcome.Linked)));
        Assert.Equal(20, results.Sum(batch => batch.Count(r => r.NewCluster)));
        await using var db = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(0, await db.ExecuteScalarAsync<long>(MismatchedClustersSql));
    }

    [Fact]
    public async Task A_batch_links_while_another_transaction_holds_its_cluster_and_waits_only_to_count()
    {
        var (dataSource, rows) = await LinkerDatabaseAsync("cluster_lock", 2, variants: 1);
        await using var disposeDataSource = dataSource;
        var linker = new ClusterLinker(dataSource, new RuleBasedAuthErrorAnalyzer());
        var clusterId = Assert.Single(await linker.LinkBatchAsync([Request(rows[0])], Ct)).ClusterId;

        // Another batch in its count step holds the cluster's row lock until it commits.
        await using var holder = await dataSource.OpenConnectionAsync(Ct);
        await using var holding = await holder.BeginTransactionAsync(Ct);
        await holder.ExecuteAsync("SELECT 1 FROM auth_error_cluster WHERE id = @clusterId FOR NO KEY UPDATE", new { clusterId }, holding);

        var linking = linker.LinkBatchAsync([Request(rows[1])], Ct);
        var blocked = await WaitForLockWaitAsync(dataSource, holder.ProcessID);
        // The only statement that needed the lock is the last one, which counts; the link was already written.
        Assert.Contains("total_count", blocked, StringComparison.Ordinal);
        Assert.DoesNotContain("auth_error_cluster_item", blocked, StringComparison.Ordinal);
        Assert.False(linking.IsCompleted);

        await holding.CommitAsync(Ct);
        var linked = Assert.Single(await linking.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal((LinkOutcome.Linked, clusterId, false), (linked.Outcome, linked.ClusterId, linked.NewCluster));
        Assert.Equal(2, await ScalarAsync<long>(dataSource, "SELECT total_count FROM auth_error_cluster WHERE id = @clusterId", new { clusterId }));
        Assert.Equal(0, await ScalarAsync<long>(dataSource, MismatchedClustersSql));
    }

    [Fact]
    public async Task A_cluster_another_transaction_creates_while_a_batch_links_is_found_and_counted_not_created_twice()
    {
        var (dataSource, rows) = await LinkerDatabaseAsync("cluster_race", 1, variants: 1);
        await using var disposeDataSource = dataSource;
        var linker = new ClusterLinker(dataSource, new RuleBasedAuthErrorAnalyzer());

        // Another batch has inserted the cluster and not committed: this batch's insert of the same key must wait for it,
        // then find the committed cluster although its statement's snapshot predates it.
        await using var creator = await dataSource.OpenConnectionAsync(Ct);
        await using var creating = await creator.BeginTransactionAsync(Ct);
        var clusterId = await creator.ExecuteScalarAsync<long>("""
            INSERT INTO auth_error_cluster (cluster_key, title, first_seen_at, last_seen_at, fingerprint_version, error_type, severity)
            VALUES (@StackHash, 'created elsewhere', @OccurredAt, @OccurredAt, 1, 'UNKNOWN_AUTH_ERROR', 'LOW')
            RETURNING id
            """, new { rows[0].StackHash, rows[0].OccurredAt }, creating);

        var linking = linker.LinkBatchAsync([Request(rows[0])], Ct);
        await WaitForLockWaitAsync(dataSource, creator.ProcessID);
        await creating.CommitAsync(Ct);

        var linked = Assert.Single(await linking.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal((LinkOutcome.Linked, clusterId, false), (linked.Outcome, linked.ClusterId, linked.NewCluster));
        Assert.Equal(1, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM auth_error_cluster"));
        Assert.Equal(1, await ScalarAsync<long>(dataSource, "SELECT total_count FROM auth_error_cluster WHERE id = @clusterId", new { clusterId }));
        Assert.Equal(0, await ScalarAsync<long>(dataSource, MismatchedClustersSql));
    }

    /// <summary>Waits until some session is blocked by <paramref name="blockerPid"/>; returns the statement it waits in.</summary>
    private static async Task<string> WaitForLockWaitAsync(NpgsqlDataSource dataSource, int blockerPid)
    {
        string? query = null;
        await Eventually.HoldsAsync($"a session waiting for a lock held by backend {blockerPid}", async () =>
        {
            query = await ScalarAsync<string?>(dataSource,
                "SELECT query FROM pg_stat_activity WHERE @blockerPid = ANY(pg_blocking_pids(pid)) LIMIT 1", new { blockerPid });
            return query is not null;
        }, TimeSpan.FromSeconds(30));
        return query!;
    }

    [Fact]
    public async Task Duplicates_inside_batches_and_across_two_batching_consumers_are_skipped_and_counted_once()
    {
        await using var scene = await SceneAsync(nameof(Duplicates_inside_batches_and_across_two_batching_consumers_are_skipped_and_counted_once));
        scene.Settings["Consumer:BatchLinger"] = "00:00:00.050";
        await using var first = ConsumerHost.Start(scene.Settings);
        await using var second = ConsumerHost.Start(scene.Settings);
        using var measurements = new ConsumerMeasurements(first.Services, second.Services);
        var rows = await AuthErrorRows.InsertAsync(scene.DataSource, 2_000, variants: 20);
        // Every event twice back to back (one batch, or one batch on each consumer), then once more in a shuffled tail.
        var deliveries = rows.SelectMany(row => new[] { row, row }).Concat(rows.OrderBy(_ => Random.Shared.Next())).ToList();

        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, deliveries);
        await WaitForProcessedAsync(scene.DataSource, rows.Count, TimeSpan.FromSeconds(120));
        await Eventually.HoldsAsync("every delivery settled", () => Task.FromResult(measurements.ConsumedTotal >= deliveries.Count), TimeSpan.FromSeconds(30));

        Assert.Equal(rows.Count, measurements.Consumed("linked"));
        Assert.Equal(deliveries.Count - rows.Count, measurements.Consumed("duplicate"));
        Assert.Equal(deliveries.Count, measurements.ConsumedTotal);
        Assert.Contains(measurements.BatchSizes, size => size > 1);
        // Each batch waits as long as its loop's last batch took to process, never past the 50 ms set above.
        Assert.All(measurements.BatchLingers, linger => Assert.InRange(linger, 0, 0.050));
        Assert.Contains(measurements.BatchLingers, linger => linger > 0);
        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error_cluster_item"));
        Assert.Equal(0, await db.ExecuteScalarAsync<long>(MismatchedClustersSql));
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE status = 'LINKED'"));
    }

    [Fact]
    public async Task A_failing_message_in_a_batch_takes_its_own_retry_path_while_the_others_link()
    {
        await using var scene = await SceneAsync(nameof(A_failing_message_in_a_batch_takes_its_own_retry_path_while_the_others_link));
        scene.Settings["Consumer:BatchLinger"] = "00:00:00.200";
        var rows = await AuthErrorRows.InsertAsync(scene.DataSource, 50, variants: 5);
        var (hopeless, flaky) = (rows[10], rows[20]);
        var analyzer = new ScriptedAnalyzer();
        analyzer.FailTimes(hopeless.Id, int.MaxValue);
        // Two failures: the first delivery and the first retry fail, the last tier's links it.
        analyzer.FailTimes(flaky.Id, 2);
        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, rows);

        await using var consumer = ConsumerHost.Start(scene.Settings, analyzer);
        var ledger = await Eventually.ReturnsAsync("the hopeless event in the dead-letter ledger", async () =>
        {
            await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
            return await db.QuerySingleOrDefaultAsync<LedgerRow>("SELECT reason AS Reason, event_id AS EventId FROM dead_letter_message");
        }, TimeSpan.FromSeconds(30));
        await WaitForProcessedAsync(scene.DataSource, rows.Count - 1, TimeSpan.FromSeconds(30));

        Assert.Equal(("retries_exhausted", hopeless.EventId), (ledger.Reason, ledger.EventId));
        // It was analysed in its batch, then once per retry tier: a failed analysis no longer sends the batch one by one.
        Assert.Equal(1 + ConsumerHost.ShortRetryTiers.Length, analyzer.CallsFor(hopeless.Id));
        await Eventually.HoldsAsync("the hopeless error marked DEAD", async () =>
            await ScalarAsync<string>(scene.DataSource, "SELECT status FROM auth_error WHERE id = @Id", new { hopeless.Id }) == "DEAD", TimeSpan.FromSeconds(5));
        await using var connection = await scene.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal("LINKED", await connection.ExecuteScalarAsync<string>("SELECT status FROM auth_error WHERE id = @Id", new { flaky.Id }));
        Assert.Equal(rows.Count - 1, await connection.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(rows.Count - 1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error_cluster_item"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message WHERE event_id = @EventId", new { hopeless.EventId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(MismatchedClustersSql));
        await Task.Delay(500, Ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM dead_letter_message"));
    }

    [Fact]
    public async Task An_error_that_fails_to_analyse_leaves_no_trace_while_the_rest_of_its_batch_links()
    {
        var (dataSource, rows) = await LinkerDatabaseAsync("analysis_failure", 4, variants: 2);
        await using var disposeDataSource = dataSource;
        var analyzer = new ScriptedAnalyzer();
        analyzer.FailTimes(rows[1].Id, 1);
        var linker = new ClusterLinker(dataSource, analyzer);

        var results = await linker.LinkBatchAsync([.. rows.Select(Request)], Ct);

        Assert.Equal(new[] { LinkOutcome.Linked, LinkOutcome.AnalysisFailed, LinkOutcome.Linked, LinkOutcome.Linked }, results.Select(r => r.Outcome));
        Assert.Contains("scripted analysis failure", results[1].Failure, StringComparison.Ordinal);
        await using (var db = await dataSource.OpenConnectionAsync(Ct))
        {
            // Its claim was withdrawn with the batch's commit, so its redelivery is processed, not skipped as a duplicate.
            Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message WHERE event_id = @EventId", new { rows[1].EventId }));
            Assert.Equal("RECEIVED", await db.ExecuteScalarAsync<string>("SELECT status FROM auth_error WHERE id = @Id", new { rows[1].Id }));
            Assert.Equal(3, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        }

        var retried = await linker.LinkBatchAsync([Request(rows[1])], Ct);
        Assert.Equal(LinkOutcome.Linked, Assert.Single(retried).Outcome);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(MismatchedClustersSql));
    }

    [Fact]
    public async Task A_lone_message_is_linked_promptly_not_held_for_a_batch_to_fill()
    {
        await using var scene = await SceneAsync(nameof(A_lone_message_is_linked_promptly_not_held_for_a_batch_to_fill));
        await using var consumer = ConsumerHost.Start(scene.Settings);
        var rows = await AuthErrorRows.InsertAsync(scene.DataSource, 2);
        // The first one warms up the connections; the second is timed.
        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, [rows[0]]);
        await WaitForProcessedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));

        var stopwatch = Stopwatch.StartNew();
        await AuthErrorRows.PublishEventsAsync(scene.AmqpUri, [rows[1]]);
        await Eventually.ReturnsAsync("the lone event linked", async () =>
            await ScalarAsync<string>(scene.DataSource, "SELECT status FROM auth_error WHERE id = @Id", new { rows[1].Id }) == "LINKED" ? "" : null,
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(5));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"linked after {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_batch_is_filled_from_a_backlog_at_once_and_a_lone_item_waits_only_the_linger()
    {
        var deliveries = Channel.CreateUnbounded<int>();
        for (var i = 0; i < 250; i++)
        {
            deliveries.Writer.TryWrite(i);
        }

        var batch = new List<int>();
        var stopwatch = Stopwatch.StartNew();
        Assert.True(await DeliveryBatch.FillAsync(deliveries.Reader, batch, 100, TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(Enumerable.Range(0, 100), batch);
        batch.Clear();
        Assert.True(await DeliveryBatch.FillAsync(deliveries.Reader, batch, 100, TimeSpan.FromSeconds(10), Ct));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), "a full batch does not linger");

        batch.Clear();
        while (deliveries.Reader.TryRead(out _))
        {
        }

        deliveries.Writer.TryWrite(1);
        stopwatch.Restart();
        Assert.True(await DeliveryBatch.FillAsync(deliveries.Reader, batch, 100, TimeSpan.FromMilliseconds(100), Ct));
        Assert.Equal(new[] { 1 }, batch);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(90), TimeSpan.FromSeconds(5));

        deliveries.Writer.Complete();
        Assert.False(await DeliveryBatch.FillAsync(deliveries.Reader, batch, 100, TimeSpan.FromMilliseconds(100), Ct));
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(25, 25)]
    [InlineData(400, 25)]
    [InlineData(-1, 0)]
    public void The_next_batch_lingers_as_long_as_the_last_took_up_to_the_limit(int previousMs, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), DeliveryBatch.NextLinger(TimeSpan.FromMilliseconds(previousMs), TimeSpan.FromMilliseconds(25)));

    [Theory]
    [InlineData("Consumer:BatchSize", "0", "Consumer:BatchSize must be between 1 and 1000.")]
    [InlineData("Consumer:Prefetch", "499", "Consumer:BatchSize (500) must not exceed Consumer:Prefetch (499).")]
    [InlineData("Consumer:BatchLinger", "00:00:02", "Consumer:BatchLinger must be between 00:00:00 and 00:00:01.")]
    public async Task A_bad_batch_setting_fails_start_up_naming_the_key(string key, string value, string expected)
    {
        // Real servers: the connections are made before the options are validated.
        var owner = $"{nameof(ConsumerBatchTests)}_settings";
        await using var consumer = new ServiceFactory<ConsumerOptions>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:authdb"] = await infrastructure.DatabaseAsync(owner),
            ["ConnectionStrings:messaging"] = await infrastructure.VirtualHostAsync(owner),
            [key] = value,
        });
        var error = Assert.ThrowsAny<Exception>(() => consumer.Services);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    private static LinkRequest Request(StoredRow row) => new(row.EventId, row.Id);
}

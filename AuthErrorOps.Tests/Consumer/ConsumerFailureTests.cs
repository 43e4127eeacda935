using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Consumer;

public sealed class ConsumerFailureTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_consumer_process_killed_mid_stream_and_restarted_loses_nothing_and_counts_nothing_twice()
    {
        var owner = nameof(A_consumer_process_killed_mid_stream_and_restarted_loses_nothing_and_counts_nothing_twice);
        var connectionString = await infrastructure.DatabaseAsync(owner);
        var amqpUri = await infrastructure.VirtualHostAsync(owner);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var settings = ConsumerHost.Settings(connectionString, amqpUri);

        // Schema and topology first (an in-process consumer declares them), then the backlog.
        await (await Task.FromResult(ConsumerHost.Start(settings))).DisposeAsync();
        var rows = await AuthErrorRows.InsertAsync(dataSource, 10_000, variants: 20);
        await AuthErrorRows.PublishEventsAsync(amqpUri, rows);

        using (var doomed = ServiceProcess.Start("AuthErrorOps.Consumer", new Dictionary<string, string>
        {
            ["ConnectionStrings__authdb"] = connectionString,
            ["ConnectionStrings__messaging"] = amqpUri,
            ["Messaging__RetryDelays__0"] = ConsumerHost.ShortRetryTiers[0],
            ["Messaging__RetryDelays__1"] = ConsumerHost.ShortRetryTiers[1],
        }))
        {
            try
            {
                await Eventually.HoldsAsync("the consumer process linking", async () => await ProcessedAsync(dataSource) > 0, TimeSpan.FromSeconds(60));
            }
            finally
            {
                doomed.Kill();
                await doomed.WaitForExitAsync(Ct);
            }
        }

        Assert.True(await ProcessedAsync(dataSource) < rows.Count, "killed before the end");
        await using (var restarted = ConsumerHost.Start(settings))
        {
            await Eventually.HoldsAsync("every event processed", async () => await ProcessedAsync(dataSource) == rows.Count, TimeSpan.FromSeconds(120));
        }

        await using var db = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error_cluster_item"));
    }

    [Fact]
    public async Task A_consumer_process_killed_mid_batch_with_duplicates_in_the_backlog_and_restarted_counts_each_event_once()
    {
        var owner = nameof(A_consumer_process_killed_mid_batch_with_duplicates_in_the_backlog_and_restarted_counts_each_event_once);
        var connectionString = await infrastructure.DatabaseAsync(owner);
        var amqpUri = await infrastructure.VirtualHostAsync(owner);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var settings = ConsumerHost.Settings(connectionString, amqpUri);

        await (await Task.FromResult(ConsumerHost.Start(settings))).DisposeAsync();
        var rows = await AuthErrorRows.InsertAsync(dataSource, 6_000, variants: 30);
        var deliveries = rows.Concat(rows.Where((_, index) => index % 4 == 0)).OrderBy(_ => Random.Shared.Next()).ToList();
        await AuthErrorRows.PublishEventsAsync(amqpUri, deliveries);

        // Big batches, several in flight: the kill lands inside a transaction or between a commit and its acks.
        using (var doomed = ServiceProcess.Start("AuthErrorOps.Consumer", new Dictionary<string, string>
        {
            ["ConnectionStrings__authdb"] = connectionString,
            ["ConnectionStrings__messaging"] = amqpUri,
            ["Messaging__RetryDelays__0"] = ConsumerHost.ShortRetryTiers[0],
            ["Messaging__RetryDelays__1"] = ConsumerHost.ShortRetryTiers[1],
            ["Consumer__BatchSize"] = "250",
            ["Consumer__Prefetch"] = "1000",
        }))
        {
            try
            {
                await Eventually.HoldsAsync("the consumer process linking", async () => await ProcessedAsync(dataSource) >= 500, TimeSpan.FromSeconds(60));
            }
            finally
            {
                doomed.Kill();
                await doomed.WaitForExitAsync(Ct);
            }
        }

        Assert.True(await ProcessedAsync(dataSource) < rows.Count, "killed before the end");
        await using (var first = ConsumerHost.Start(settings))
        await using (var second = ConsumerHost.Start(settings))
        {
            await Eventually.HoldsAsync("every event processed", async () => await ProcessedAsync(dataSource) == rows.Count, TimeSpan.FromSeconds(120));
        }

        await using var db = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error_cluster_item"));
        Assert.Equal(rows.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE status = 'LINKED'"));
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM auth_error_cluster c
            JOIN LATERAL (SELECT count(*) AS items, min(a.occurred_at) AS first_seen, max(a.occurred_at) AS last_seen
                          FROM auth_error_cluster_item i JOIN auth_error a ON a.id = i.auth_error_id WHERE i.cluster_id = c.id) s ON true
            WHERE c.total_count <> s.items OR c.first_seen_at <> s.first_seen OR c.last_seen_at <> s.last_seen
            """));
    }

    private static async Task<long> ProcessedAsync(NpgsqlDataSource dataSource)
    {
        await using var db = await dataSource.OpenConnectionAsync(Ct);
        return await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message");
    }
}

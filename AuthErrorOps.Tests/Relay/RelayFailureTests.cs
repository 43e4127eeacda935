using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Relay;

/// <summary>Crashes of the broker and of a relay process: nothing accepted is lost.</summary>
public sealed class RelayFailureTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<(NpgsqlDataSource DataSource, string ConnectionString)> DatabaseAsync(string owner) =>
        infrastructure.MigratedDatabaseAsync($"{nameof(RelayFailureTests)}_{owner}");

    [Fact]
    public async Task A_broker_crash_mid_run_loses_nothing_and_everything_is_published_after_recovery()
    {
        var (dataSource, connectionString) = await DatabaseAsync(nameof(A_broker_crash_mid_run_loses_nothing_and_everything_is_published_after_recovery));
        await using var _ = dataSource;
        // A node of its own: crashing the shared one would break every other test.
        await using var broker = await RabbitMqServer.StartAsync(new RabbitMqServerOptions { ManagementPlugin = false }, cancellationToken: Ct);
        var eventIds = await OutboxRows.InsertAsync(dataSource, 20_000);

        await using (var relay = RelayHost.Start(RelayHost.Settings(connectionString, broker.GetConnectionString(),
            new Dictionary<string, string?> { ["Relay:BatchSize"] = "100", ["Relay:PublishTimeout"] = "00:00:02" })))
        {
            await Eventually.HoldsAsync("the first rows published", async () =>
                (await OutboxRows.CountByStatusAsync(dataSource)).GetValueOrDefault("PUBLISHED") > 0, TimeSpan.FromSeconds(30));
            await broker.RestartAsync(Ct);
            await OutboxRows.WaitUntilAllPublishedAsync(dataSource, eventIds.Count, TimeSpan.FromSeconds(120));
        }

        var received = await RelayTests.DrainAsync(broker.GetConnectionString(), eventIds.Count);
        Assert.Empty(eventIds.Select(id => id.ToString()).Except(received));
        // The outage was the broker's, not the messages': it cost them no attempt (and so no backoff).
        await using var db = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox_message WHERE last_error LIKE 'connection%'"));
    }

    private const string DoomedRelay = "doomed-relay";

    [Fact]
    public async Task A_relay_process_killed_mid_batch_leaves_work_another_relay_finishes_after_the_lease()
    {
        var (dataSource, connectionString) = await DatabaseAsync(nameof(A_relay_process_killed_mid_batch_leaves_work_another_relay_finishes_after_the_lease));
        await using var _ = dataSource;
        var amqpUri = await infrastructure.VirtualHostAsync($"{nameof(RelayFailureTests)}_kill");
        var eventIds = await OutboxRows.InsertAsync(dataSource, 20_000);

        // A real process, so it can die without disposing anything.
        using var doomed = ServiceProcess.Start("AuthErrorOps.Relay", new Dictionary<string, string>
        {
            ["ConnectionStrings__authdb"] = $"{connectionString};Application Name={DoomedRelay}",
            ["ConnectionStrings__messaging"] = amqpUri,
            ["Relay__BatchSize"] = "100",
            ["Relay__LeaseDuration"] = "00:00:02",
            ["Messaging__RetryDelays__0"] = "00:00:01",
        });
        try
        {
            await Eventually.HoldsAsync("the relay process publishing", async () =>
                (await OutboxRows.CountByStatusAsync(dataSource)).GetValueOrDefault("PUBLISHED") > 0, TimeSpan.FromSeconds(60));
        }
        finally
        {
            doomed.Kill();
            await doomed.WaitForExitAsync(Ct);
        }

        // A statement the process had sent (a claim or a mark) still runs and commits server-side: count once its sessions are gone.
        await Eventually.HoldsAsync("the killed relay's database sessions ending", async () =>
        {
            await using var sessions = await dataSource.OpenConnectionAsync(Ct);
            return await sessions.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = @name", new { name = DoomedRelay }) == 0;
        }, TimeSpan.FromSeconds(30));
        var atKill = await OutboxRows.CountByStatusAsync(dataSource);
        var processingAtKill = atKill.GetValueOrDefault("PROCESSING");
        Assert.True(atKill.GetValueOrDefault("PUBLISHED") < eventIds.Count, "killed before the end");

        await using (var survivor = RelayHost.Start(RelayHost.Settings(connectionString, amqpUri)))
        {
            await OutboxRows.WaitUntilAllPublishedAsync(dataSource, eventIds.Count, TimeSpan.FromSeconds(90));
        }

        var received = await RelayTests.DrainAsync(amqpUri, eventIds.Count);
        Assert.Empty(eventIds.Select(id => id.ToString()).Except(received));
        await using var db = await dataSource.OpenConnectionAsync(Ct);
        var reaped = await db.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox_message WHERE last_error LIKE 'lease expired%'");
        // Every row it held was reaped, and it held no more than its loops could claim (4 x 100).
        Assert.Equal(processingAtKill, reaped);
        Assert.InRange(reaped, 0, 4 * 100);
    }
}

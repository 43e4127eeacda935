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

    private static async Task<long> ProcessedAsync(NpgsqlDataSource dataSource)
    {
        await using var db = await dataSource.OpenConnectionAsync(Ct);
        return await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message");
    }
}

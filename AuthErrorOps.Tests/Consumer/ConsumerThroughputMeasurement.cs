using System.Diagnostics;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Consumer;

/// <summary>
/// Not a test, a measurement (explicit, never in a normal run): one consumer process drains a queued backlog into a
/// durable (fsync) PostgreSQL of its own. AUTHERROROPS_CONSUMER_EXE picks the consumer build (e.g. a Release build of
/// another commit), AUTHERROROPS_MEASURE_EVENTS the backlog (20,000), AUTHERROROPS_MEASURE_OUT a file to append the figure to.
/// <c>dotnet test AuthErrorOps.Tests --no-build --filter FullyQualifiedName~ConsumerThroughputMeasurement -- xUnit.Explicit=only</c>
/// </summary>
public sealed class ConsumerThroughputMeasurement(InfrastructureFixture infrastructure, ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Explicit = true)]
    public async Task One_consumer_process_drains_a_queued_backlog()
    {
        var events = int.Parse(Environment.GetEnvironmentVariable("AUTHERROROPS_MEASURE_EVENTS") ?? "20000", System.Globalization.CultureInfo.InvariantCulture);
        var executable = Environment.GetEnvironmentVariable("AUTHERROROPS_CONSUMER_EXE") ?? "AuthErrorOps.Consumer";
        await using var postgres = await PostgresServer.StartAsync(new PostgresServerOptions { Durable = true }, cancellationToken: Ct);
        await postgres.CreateDatabaseAsync("authdb", Ct);
        var connectionString = postgres.GetConnectionString("authdb");
        var amqpUri = await infrastructure.VirtualHostAsync(nameof(ConsumerThroughputMeasurement));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ConsumerHost.Start(ConsumerHost.Settings(connectionString, amqpUri)).DisposeAsync();
        var rows = await AuthErrorRows.InsertAsync(dataSource, events, variants: 50);
        await AuthErrorRows.PublishEventsAsync(amqpUri, rows);

        var started = Stopwatch.StartNew();
        using var consumer = ServiceProcess.Start(executable, new Dictionary<string, string>
        {
            ["ConnectionStrings__authdb"] = connectionString,
            ["ConnectionStrings__messaging"] = amqpUri,
        });
        try
        {
            await Eventually.HoldsAsync("a first link", async () => await ProcessedAsync(dataSource) > 0, TimeSpan.FromSeconds(60));
            var (firstLinkAt, firstCount) = (started.Elapsed, await ProcessedAsync(dataSource));
            await Eventually.HoldsAsync("the backlog drained", async () => await ProcessedAsync(dataSource) == events, TimeSpan.FromMinutes(10));
            var drained = started.Elapsed - firstLinkAt;
            var cpu = consumer.TotalProcessorTime;
            var figure = $"{DateTime.UtcNow:u} {executable}: {events} events in {drained.TotalSeconds:0.0} s after the first link = "
                + $"{(events - firstCount) / drained.TotalSeconds:0} events/s; consumer CPU {cpu.TotalSeconds:0.0} s; loadavg {File.ReadAllText("/proc/loadavg").Trim()}";
            output.WriteLine(figure);
            if (Environment.GetEnvironmentVariable("AUTHERROROPS_MEASURE_OUT") is { } path)
            {
                await File.AppendAllTextAsync(path, figure + Environment.NewLine, Ct);
            }

            await using var db = await dataSource.OpenConnectionAsync(Ct);
            Assert.Equal(events, await db.ExecuteScalarAsync<long>("SELECT sum(total_count) FROM auth_error_cluster"));
        }
        finally
        {
            consumer.Kill();
            await consumer.WaitForExitAsync(Ct);
        }
    }

    private static async Task<long> ProcessedAsync(NpgsqlDataSource dataSource)
    {
        await using var db = await dataSource.OpenConnectionAsync(Ct);
        return await db.ExecuteScalarAsync<long>("SELECT count(*) FROM processed_message");
    }
}

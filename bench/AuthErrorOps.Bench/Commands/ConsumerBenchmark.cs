using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using Dapper;

namespace AuthErrorOps.Bench.Commands;

/// <summary>
/// <c>consumer</c>: N valid events queued (their errors stored), linked by the consumer(s), against a
/// raw consume-and-ack of N messages with the same prefetch.
/// </summary>
public static class ConsumerBenchmark
{
    public sealed record Settings(int Count, int Replicas, ushort Prefetch, int Concurrency, int Clusters, TimeSpan Timeout, bool Baseline = true, int? BatchSize = null);

    private const string LinkedSql = "SELECT coalesce(sum(total_count), 0)::bigint FROM auth_error_cluster WHERE id > @AfterClusterId";

    private const string DrainSql = """
        SELECT count(*) AS Items, extract(epoch FROM max(i.linked_at) - min(i.linked_at))::float8 AS Seconds
        FROM auth_error_cluster_item i WHERE i.auth_error_id BETWEEN @FirstId AND @LastId
        """;

    private const string ExactnessSql = """
        SELECT (SELECT coalesce(sum(total_count), 0) FROM auth_error_cluster WHERE id > @AfterClusterId)::bigint AS Counted,
               (SELECT count(*) FROM processed_message p JOIN auth_error a ON a.event_id = p.event_id
                 WHERE a.id BETWEEN @FirstId AND @LastId AND p.consumer = @Consumer) AS Processed,
               (SELECT count(*) FROM auth_error WHERE id BETWEEN @FirstId AND @LastId AND status = 'LINKED') AS Linked,
               (SELECT count(*) FROM auth_error_cluster WHERE id > @AfterClusterId) AS Clusters
        """;

    public static Command CreateCommand()
    {
        var target = new BenchTargetOptions();
        var count = new Option<int>("--count") { Description = "Events queued.", DefaultValueFactory = _ => 100_000 };
        var replicas = new Option<int>("--replicas") { Description = "Consumer processes.", DefaultValueFactory = _ => 1 };
        var prefetch = new Option<int>("--prefetch") { Description = "Consumer:Prefetch (also the baseline's).", DefaultValueFactory = _ => 1_000 };
        var concurrency = new Option<int>("--consumer-concurrency") { Description = "Consumer:Concurrency (also the baseline's dispatch concurrency).", DefaultValueFactory = _ => 2 };
        var batchSize = new Option<int?>("--consumer-batch") { Description = "Consumer:BatchSize, deliveries per transaction (default: the service's)." };
        var clusters = new Option<int>("--clusters") { Description = "Distinct stack fingerprints among the events.", DefaultValueFactory = _ => 30 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for every event to be linked.", DefaultValueFactory = _ => 600 };
        var command = new Command("consumer", "Consumer throughput on a pre-filled queue, with a raw consume-and-ack as baseline.") { count, replicas, prefetch, concurrency, batchSize, clusters, timeout };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(count), parse.GetValue(replicas), (ushort)parse.GetValue(prefetch), parse.GetValue(concurrency),
                parse.GetValue(clusters), TimeSpan.FromSeconds(parse.GetValue(timeout)), BatchSize: parse.GetValue(batchSize));
            var report = await RunAsync(await target.ReadAsync(parse, cancellationToken), settings, Console.Out, cancellationToken);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    public static async Task<BenchReport> RunAsync(BenchTarget target, Settings settings, TextWriter console, CancellationToken cancellationToken)
    {
        var report = new BenchReport("consumer");
        report.Parameters["events"] = settings.Count.ToString("N0", CultureInfo.InvariantCulture);
        report.Parameters["consumers"] = settings.Replicas.ToString(CultureInfo.InvariantCulture);
        report.Parameters["prefetch"] = settings.Prefetch.ToString(CultureInfo.InvariantCulture);
        report.Parameters["concurrency"] = settings.Concurrency.ToString(CultureInfo.InvariantCulture);
        report.Parameters["batch"] = settings.BatchSize?.ToString(CultureInfo.InvariantCulture) ?? "service default";
        report.Parameters["clusters"] = settings.Clusters.ToString(CultureInfo.InvariantCulture);

        console.WriteLine("starting servers …");
        await using var system = await BenchSystem.StartAsync(target, null, cancellationToken);
        var runId = AuthErrorBodies.NewRunId();

        double? baseline = null;
        PhaseMonitor? baselineMonitor = null;
        if (settings.Baseline)
        {
            console.WriteLine($"baseline: filling a queue of the same kind with {settings.Count:N0} messages, then a raw consume (prefetch {settings.Prefetch}, ack each) …");
            await RawBroker.DeclareBaselineQueueAsync(system.Broker, cancellationToken);
            await RawBroker.PublishConfirmedAsync(system.Broker, RawBroker.BaselineExchange, AuthErrorTopology.RecordedEventType,
                RelayBenchmark.SampleEvents(runId, settings.Count), 1_000, null, cancellationToken);
            var acked = 0;
            baselineMonitor = RelayBenchmark.RateMonitor(console, "raw consume/s", () => Volatile.Read(ref acked));
            var elapsed = await RawBroker.ConsumeAsync(system.Broker, RawBroker.BaselineQueue, settings.Count, settings.Prefetch, settings.Concurrency * settings.Replicas,
                n => Volatile.Write(ref acked, n), settings.Timeout, cancellationToken);
            await baselineMonitor.StopAsync();
            await RawBroker.DeleteBaselineQueueAsync(system.Broker, cancellationToken);
            baseline = settings.Count / elapsed.TotalSeconds;
        }

        long afterClusterId;
        await using (var connection = await system.DataSource.OpenConnectionAsync(cancellationToken))
        {
            afterClusterId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT coalesce(max(id), 0) FROM auth_error_cluster", cancellationToken: cancellationToken));
        }

        console.WriteLine($"storing {settings.Count:N0} errors and queueing their events …");
        var seeding = Stopwatch.StartNew();
        var events = await PipelineSeeder.SeedStoredErrorsAsync(system.DataSource, runId, settings.Count, settings.Clusters, cancellationToken);
        await RawBroker.PublishConfirmedAsync(system.Broker, AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType,
            events.Select(e => e.ToMessage()).ToList(), 1_000, null, cancellationToken);
        report.Notes.Add($"{settings.Count:N0} errors stored and their events queued in {seeding.Elapsed.TotalSeconds:0.0} s.");
        if (system.Target.ServicesAreExternal)
        {
            report.Notes.Add("Running system: its consumers linked events while they were being queued, so the time includes queueing.");
        }

        var (firstId, lastId) = (events.Min(e => e.AuthErrorId), events.Max(e => e.AuthErrorId));
        console.WriteLine($"starting {settings.Replicas} consumer(s) and linking …");
        var phase = MeasuredPhase.Begin(system);
        var startup = Stopwatch.StartNew();
        await using var channel = await system.Broker.CreateChannelAsync(cancellationToken: cancellationToken);
        var monitor = new PhaseMonitor(console, TimeSpan.FromSeconds(1), async _ =>
        {
            await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
            IReadOnlyDictionary<string, double> values = new Dictionary<string, double>
            {
                ["linked"] = await connection.ExecuteScalarAsync<long>(new CommandDefinition(LinkedSql, new { AfterClusterId = afterClusterId }, cancellationToken: cancellationToken)),
                ["queue depth"] = await RawBroker.DepthAsync(channel, AuthErrorTopology.RecordedQueue, cancellationToken),
            };
            return values;
        }, (seconds, v) => $"{seconds,5:0} s  linked {v["linked"],9:N0} of {settings.Count:N0}  queue {v["queue depth"],9:N0}");
        var environment = new Dictionary<string, string>
        {
            ["Consumer__Prefetch"] = settings.Prefetch.ToString(CultureInfo.InvariantCulture),
            ["Consumer__Concurrency"] = settings.Concurrency.ToString(CultureInfo.InvariantCulture),
        };
        if (settings.BatchSize is { } batch)
        {
            environment["Consumer__BatchSize"] = batch.ToString(CultureInfo.InvariantCulture);
        }

        await system.StartServicesAsync([ServiceSpec.Consumer(settings.Replicas)], environment, cancellationToken);
        var consumerStarted = startup.Elapsed;

        var linkedAll = await RelayBenchmark.WaitUntilAsync(async () =>
        {
            await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition(LinkedSql, new { AfterClusterId = afterClusterId }, cancellationToken: cancellationToken)) >= settings.Count;
        }, settings.Timeout, cancellationToken);
        var total = startup.Elapsed;
        await monitor.StopAsync();
        await phase.EndAsync(report);

        await using var db = await system.DataSource.OpenConnectionAsync(cancellationToken);
        var range = new { FirstId = firstId, LastId = lastId, AfterClusterId = afterClusterId, Consumer = ClusterLinker.ConsumerName };
        var (items, seconds) = await db.QuerySingleAsync<(long, double?)>(new CommandDefinition(DrainSql, range, cancellationToken: cancellationToken));
        var exact = await db.QuerySingleAsync<(long Counted, long Processed, long Linked, long Clusters)>(new CommandDefinition(ExactnessSql, range, cancellationToken: cancellationToken));
        var drainRate = seconds is > 0 ? items / seconds.Value : 0;
        report.Add(new Figure("consumer drain rate (first to last linked_at)", drainRate, "events/s", baseline));
        report.Add(new Figure("consumer rate, start-up included", items / total.TotalSeconds, "events/s", baseline));
        report.Add(new Figure("queue drained in (start-up included)", total.TotalSeconds, "s"));
        report.Add(new Figure("consumer start-up (process to healthy)", consumerStarted.TotalSeconds, "s"));
        report.Add(new Figure("events linked", exact.Linked, "events"));
        if (baseline is { } b)
        {
            report.Add(new Figure("raw consume and ack", b, "msg/s"));
        }

        report.Check("every event linked", linkedAll && exact.Linked == settings.Count, $"{exact.Linked:N0} of {settings.Count:N0} LINKED");
        report.Check("counted exactly once", exact.Counted == settings.Count && exact.Processed == settings.Count,
            $"sum of cluster counts {exact.Counted:N0}, processed_message {exact.Processed:N0}, expected {settings.Count:N0}");
        report.Check("one cluster per fingerprint", exact.Clusters == Math.Min(settings.Clusters, settings.Count), $"{exact.Clusters} clusters");
        report.Panels.Add(new Panel("Linked and queued", "events", monitor.Select("linked", "queue depth")));
        if (baselineMonitor is not null)
        {
            report.Panels.Add(new Panel("Raw consume and ack (baseline)", "msg/s", baselineMonitor.Select("raw consume/s")));
        }

        await BenchOutput.FinishAsync(report, target, console, cancellationToken);
        return report;
    }
}

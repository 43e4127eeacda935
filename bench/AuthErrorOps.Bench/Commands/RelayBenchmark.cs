using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;
using AuthErrorOps.Core.Messaging;
using Dapper;

namespace AuthErrorOps.Bench.Commands;

/// <summary>
/// <c>relay</c>: an N-row PENDING backlog drained by the relay(s), against raw confirmed publishes
/// of N messages with the same in-flight window into a queue of the same kind.
/// </summary>
public static class RelayBenchmark
{
    public sealed record Settings(int Count, int Replicas, int BatchSize, int Concurrency, TimeSpan Timeout, bool Baseline = true, int WarmupRows = 0)
    {
        /// <summary>What the relays keep unconfirmed at most: every loop publishes its whole claimed batch.</summary>
        public int Window => BatchSize * Concurrency * Replicas;
    }

    private const string OutboxProgressSql = """
        SELECT (SELECT count(*) FROM outbox_message WHERE status = 'PENDING') AS Pending,
               (SELECT count(*) FROM outbox_message WHERE status = 'PROCESSING') AS Processing
        """;

    // Polled 4 times a second: an existence probe on the partial indexes, not a count (a count of a
    // 200,000-row backlog costs PostgreSQL ~50 ms, which the relay would then compete with).
    private const string DrainedSql = """
        SELECT NOT EXISTS (SELECT 1 FROM outbox_message WHERE status = 'PENDING')
           AND NOT EXISTS (SELECT 1 FROM outbox_message WHERE status = 'PROCESSING')
        """;

    private const string DrainSql = """
        SELECT count(*) AS Published, extract(epoch FROM max(published_at) - min(published_at))::float8 AS Seconds, max(attempts) AS MaxAttempts
        FROM outbox_message WHERE status = 'PUBLISHED' AND id > @AfterId
        """;

    public static Command CreateCommand()
    {
        var target = new BenchTargetOptions();
        var count = new Option<int>("--count") { Description = "Rows in the PENDING backlog.", DefaultValueFactory = _ => 100_000 };
        var replicas = new Option<int>("--replicas") { Description = "Relay processes.", DefaultValueFactory = _ => 1 };
        var batchSize = new Option<int>("--relay-batch") { Description = "Relay:BatchSize (rows claimed per loop).", DefaultValueFactory = _ => 1_000 };
        var concurrency = new Option<int>("--relay-concurrency") { Description = "Relay:Concurrency (claim-publish loops per relay).", DefaultValueFactory = _ => 4 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the backlog to drain.", DefaultValueFactory = _ => 300 };
        var warmup = new Option<int>("--warmup-rows")
        {
            Description = "Rows the relay drains, unmeasured, before the backlog is filled (tiered JIT takes ~30 s to settle on 2 cores; 0: measure from a cold start).",
            DefaultValueFactory = _ => 50_000,
        };
        var command = new Command("relay", "Outbox relay throughput on a pre-filled backlog, with raw confirmed publishing as baseline.") { count, replicas, batchSize, concurrency, timeout, warmup };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(count), parse.GetValue(replicas), parse.GetValue(batchSize), parse.GetValue(concurrency), TimeSpan.FromSeconds(parse.GetValue(timeout)),
                WarmupRows: parse.GetValue(warmup));
            var report = await RunAsync(await target.ReadAsync(parse, cancellationToken), settings, Console.Out, cancellationToken);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    public static async Task<BenchReport> RunAsync(BenchTarget target, Settings settings, TextWriter console, CancellationToken cancellationToken)
    {
        var report = new BenchReport("relay");
        report.Parameters["backlog"] = settings.Count.ToString("N0", CultureInfo.InvariantCulture);
        report.Parameters["relays"] = settings.Replicas.ToString(CultureInfo.InvariantCulture);
        report.Parameters["batch x loops"] = $"{settings.BatchSize} x {settings.Concurrency}";
        report.Parameters["in-flight window"] = settings.Window.ToString(CultureInfo.InvariantCulture);

        console.WriteLine("starting servers …");
        await using var system = await BenchSystem.StartAsync(target, null, cancellationToken);
        var runId = AuthErrorBodies.NewRunId();

        double? baseline = null;
        PhaseMonitor? baselineMonitor = null;
        if (settings.Baseline)
        {
            console.WriteLine($"baseline: {settings.Count:N0} raw confirmed publishes, {settings.Window} in flight, into a {(MessagingTopology.SupportsQuorumDeadLettering(system.Broker) ? "quorum" : "classic")} queue …");
            await RawBroker.DeclareBaselineQueueAsync(system.Broker, cancellationToken);
            var messages = SampleEvents(runId, settings.Count);
            var confirmed = 0;
            baselineMonitor = RateMonitor(console, "raw publish/s", () => Volatile.Read(ref confirmed));
            var elapsed = await RawBroker.PublishConfirmedAsync(system.Broker, RawBroker.BaselineExchange, AuthErrorTopology.RecordedEventType, messages, settings.Window,
                n => Volatile.Write(ref confirmed, n), cancellationToken);
            await baselineMonitor.StopAsync();
            await RawBroker.DeleteBaselineQueueAsync(system.Broker, cancellationToken);
            baseline = settings.Count / elapsed.TotalSeconds;
        }

        var relayEnvironment = new Dictionary<string, string>
        {
            ["Relay__BatchSize"] = settings.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Relay__Concurrency"] = settings.Concurrency.ToString(CultureInfo.InvariantCulture),
        };
        TimeSpan? relayStarted = null;
        if (settings.WarmupRows > 0 && !system.Target.ServicesAreExternal)
        {
            console.WriteLine($"starting {settings.Replicas} relay(s) and warming up on {settings.WarmupRows:N0} rows, unmeasured …");
            var starting = Stopwatch.StartNew();
            await system.StartServicesAsync([ServiceSpec.Relay(settings.Replicas)], relayEnvironment, cancellationToken);
            relayStarted = starting.Elapsed;
            await PipelineSeeder.SeedPendingOutboxAsync(system.DataSource, AuthErrorBodies.NewRunId(), settings.WarmupRows, cancellationToken);
            if (!await WaitUntilAsync(() => IsDrainedAsync(system, cancellationToken), settings.Timeout, cancellationToken))
            {
                throw new TimeoutException($"The relay did not drain the {settings.WarmupRows:N0} warm-up rows within {settings.Timeout.TotalSeconds:0} s.");
            }

            report.Notes.Add($"The relay drained {settings.WarmupRows:N0} warm-up rows first (JIT tiering, pools); the figures cover the backlog filled after that.");
        }

        long afterId;
        await using (var connection = await system.DataSource.OpenConnectionAsync(cancellationToken))
        {
            afterId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT coalesce(max(id), 0) FROM outbox_message", cancellationToken: cancellationToken));
        }

        console.WriteLine($"pre-filling {settings.Count:N0} PENDING outbox rows …");
        var seeding = Stopwatch.StartNew();
        await PipelineSeeder.SeedPendingOutboxAsync(system.DataSource, runId, settings.Count, cancellationToken);
        report.Notes.Add($"Backlog of {settings.Count:N0} rows inserted in {seeding.Elapsed.TotalSeconds:0.0} s (one INSERT … SELECT).");
        if (system.Target.ServicesAreExternal)
        {
            report.Notes.Add("Running system: its relays drained the backlog as soon as it committed; its consumers dead-letter these events as unknown_auth_error (no stored error behind them).");
        }

        console.WriteLine(relayStarted is null ? $"starting {settings.Replicas} relay(s) and draining …" : "draining …");
        var phase = MeasuredPhase.Begin(system);
        var startup = Stopwatch.StartNew();
        await using var channel = await system.Broker.CreateChannelAsync(cancellationToken: cancellationToken);
        var monitor = new PhaseMonitor(console, TimeSpan.FromSeconds(1), async _ =>
        {
            await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
            var (pending, processing) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(OutboxProgressSql, cancellationToken: cancellationToken));
            IReadOnlyDictionary<string, double> values = new Dictionary<string, double>
            {
                ["pending"] = pending,
                ["processing"] = processing,
                ["published"] = settings.Count - pending - processing,
                ["queue depth"] = await RawBroker.DepthAsync(channel, AuthErrorTopology.RecordedQueue, cancellationToken),
            };
            return values;
        }, (seconds, v) => $"{seconds,5:0} s  published {v["published"],9:N0} of {settings.Count:N0}  pending {v["pending"],9:N0}  queue {v["queue depth"],9:N0}");
        var warmedUp = relayStarted is not null;
        if (relayStarted is null)
        {
            await system.StartServicesAsync([ServiceSpec.Relay(settings.Replicas)], relayEnvironment, cancellationToken);
            relayStarted = startup.Elapsed;
        }

        var drained = await WaitUntilAsync(() => IsDrainedAsync(system, cancellationToken), settings.Timeout, cancellationToken);
        var total = startup.Elapsed;
        await monitor.StopAsync();
        await phase.EndAsync(report);

        await using var db = await system.DataSource.OpenConnectionAsync(cancellationToken);
        var (published, seconds, maxAttempts) = await db.QuerySingleAsync<(long, double?, int?)>(new CommandDefinition(DrainSql, new { AfterId = afterId }, cancellationToken: cancellationToken));
        var drainRate = seconds is > 0 ? published / seconds.Value : 0;
        report.Add(new Figure("relay drain rate (first to last published_at)", drainRate, "rows/s", baseline));
        report.Add(new Figure(warmedUp ? "relay rate, from the backlog's commit" : "relay rate, start-up included", published / total.TotalSeconds, "rows/s", baseline));
        report.Add(new Figure(warmedUp ? "backlog drained in (from its commit)" : "backlog drained in (start-up included)", total.TotalSeconds, "s"));
        report.Add(new Figure("relay start-up (process to healthy)", relayStarted.Value.TotalSeconds, "s"));
        report.Add(new Figure("rows published", published, "rows"));
        if (baseline is { } b)
        {
            report.Add(new Figure("raw confirmed publish", b, "msg/s"));
        }

        report.Check("backlog drained", drained && published == settings.Count, $"{published:N0} of {settings.Count:N0} PUBLISHED within {settings.Timeout.TotalSeconds:0} s");
        report.Check("no publish failed", maxAttempts is null or 0, $"max attempts {maxAttempts ?? 0}");
        report.Panels.Add(new Panel("Outbox backlog and queue", "messages", monitor.Select("pending", "published", "queue depth")));
        if (baselineMonitor is not null)
        {
            report.Panels.Add(new Panel("Raw confirmed publish (baseline)", "msg/s", baselineMonitor.Select("raw publish/s")));
        }

        await BenchOutput.FinishAsync(report, target, console, cancellationToken);
        return report;
    }

    private static async Task<bool> IsDrainedAsync(BenchSystem system, CancellationToken cancellationToken)
    {
        await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(DrainedSql, cancellationToken: cancellationToken));
    }

    /// <summary>Events shaped like the relay's (the same JSON payload), for the baseline.</summary>
    internal static List<OutgoingMessage> SampleEvents(string runId, int count) => Enumerable.Range(1, count).Select(n =>
    {
        var eventId = Guid.NewGuid();
        var payload = $$"""{"eventId": "{{eventId}}", "stackHash": "{{new string('a', 64)}}", "errorType": "TOKEN_EXPIRED", "requestId": "bench-{{runId}}-{{n}}", "occurredAt": "2026-12-02T10:00:00.000000+00:00", "receivedAt": "2026-12-02T10:00:00.000000+00:00", "traceState": null, "authErrorId": {{n}}, "traceParent": null}""";
        return new OutgoingMessage(eventId.ToString(), AuthErrorTopology.RecordedEventType, Encoding.UTF8.GetBytes(payload));
    }).ToList();

    /// <summary>A progress line and a per-second rate series of a running counter.</summary>
    internal static PhaseMonitor RateMonitor(TextWriter console, string name, Func<int> done)
    {
        var previous = 0;
        return new PhaseMonitor(console, TimeSpan.FromSeconds(1), sinceLast =>
        {
            var now = done();
            IReadOnlyDictionary<string, double> values = new Dictionary<string, double> { [name] = (now - previous) / sinceLast };
            previous = now;
            return Task.FromResult(values);
        }, (seconds, v) => $"{seconds,5:0} s  {done(),9:N0} done  {v[name],8:N0} {name}");
    }

    internal static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250, cancellationToken);
        }

        return await condition();
    }
}

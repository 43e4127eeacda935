using System.CommandLine;
using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;

namespace AuthErrorOps.Bench.Commands;

/// <summary>
/// <c>ingest</c>: single or batch HTTP ingest, open loop at a rate or flat out, against the raw
/// two-insert transaction at the same concurrency on the same server.
/// </summary>
public static class IngestBenchmark
{
    public sealed record Settings(LoadShape Load, TimeSpan Warmup, bool Baseline = true);

    public static Command CreateCommand()
    {
        var target = new BenchTargetOptions();
        var rate = new Option<double?>("--rate") { Description = "Events per second, open loop (default: flat out)." };
        var connections = new Option<int>("--connections") { Description = "HTTP connections (and baseline database connections).", DefaultValueFactory = _ => 32 };
        var duration = new Option<int>("--duration") { Description = "Seconds measured.", DefaultValueFactory = _ => 20 };
        var batch = new Option<int>("--batch") { Description = "Items per request: 1 posts single events, more uses /api/auth-errors/batch.", DefaultValueFactory = _ => 1 };
        // Tiered JIT recompiles ~19,000 methods of Ingest; on 2 shared cores that settles only after ~30 s
        // (perf: libclrjit was 18 % of Ingest's CPU 10 s into a run), and a colder start measured 1,210 instead of 1,897 events/s.
        var warmup = new Option<int>("--warmup") { Description = "Seconds of unmeasured load first (JIT tiering, pools).", DefaultValueFactory = _ => 30 };
        var command = new Command("ingest", "HTTP ingest throughput and 202 latency, with the raw two-insert transaction as baseline.") { rate, connections, duration, batch, warmup };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(
                new LoadShape(parse.GetValue(rate), parse.GetValue(connections), TimeSpan.FromSeconds(parse.GetValue(duration)), Math.Max(1, parse.GetValue(batch))),
                TimeSpan.FromSeconds(parse.GetValue(warmup)));
            var report = await RunAsync(await target.ReadAsync(parse, cancellationToken), settings, Console.Out, cancellationToken);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    public static async Task<BenchReport> RunAsync(BenchTarget target, Settings settings, TextWriter console, CancellationToken cancellationToken)
    {
        var load = settings.Load;
        var report = new BenchReport("ingest");
        report.Parameters["mode"] = load.Batch > 1 ? $"batch of {load.Batch}" : "single";
        report.Parameters["rate"] = load.EventsPerSecond is { } r ? $"{r:0} events/s (open loop)" : "flat out";
        report.Parameters["connections"] = load.Connections.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Parameters["duration"] = $"{load.Duration.TotalSeconds:0} s";

        console.WriteLine("starting servers and ingest …");
        await using var system = await BenchSystem.StartAsync(target, null, cancellationToken);
        await system.StartServicesAsync([ServiceSpec.Ingest], null, cancellationToken);
        var bodies = new AuthErrorBodies(AuthErrorBodies.NewRunId());
        var http = new HttpLoad(system.IngestUrl!, system.ApiKey!, bodies);

        if (settings.Warmup > TimeSpan.Zero)
        {
            console.WriteLine($"warm-up {settings.Warmup.TotalSeconds:0} s …");
            await http.RunAsync(load with { Duration = settings.Warmup }, firstEvent: 1_000_000_000, new LatencyRecorder(), new LoadCounters(), cancellationToken);
        }

        console.WriteLine("measuring Ingest …");
        var latencies = new LatencyRecorder();
        var counters = new LoadCounters();
        var phase = MeasuredPhase.Begin(system);
        long previous = 0;
        var monitor = new PhaseMonitor(console, TimeSpan.FromSeconds(1), sinceLast =>
        {
            var accepted = counters.Accepted;
            var interval = latencies.TakeInterval();
            var values = new Dictionary<string, double> { ["accepted/s"] = (accepted - Interlocked.Exchange(ref previous, accepted)) / sinceLast };
            if (interval.Count > 0)
            {
                (values["p50"], values["p95"], values["p99"]) = (interval.P50, interval.P95, interval.P99);
            }

            return Task.FromResult<IReadOnlyDictionary<string, double>>(values);
        }, (seconds, v) => $"{seconds,5:0} s  accepted {counters.Accepted,9:N0}  {v["accepted/s"],7:N0}/s  p50 {v.GetValueOrDefault("p50"),6:0.0} ms  p99 {v.GetValueOrDefault("p99"),7:0.0} ms  failed {counters.Failed:N0}");
        await http.RunAsync(load, firstEvent: 0, latencies, counters, cancellationToken);
        await monitor.StopAsync();
        var elapsed = await phase.EndAsync(report);

        RawIngestResult? raw = null;
        PhaseMonitor? rawMonitor = null;
        if (settings.Baseline)
        {
            console.WriteLine($"measuring the raw baseline: the same two-insert statement from {load.Connections} Npgsql connections, flat out …");
            (raw, rawMonitor) = await RawPhaseAsync(system, bodies, load, "raw events/s", console, cancellationToken);
        }

        var total = latencies.Total();
        report.Add(new Figure(load.Batch > 1 ? "batch ingest, events accepted/s" : "single ingest, events accepted/s", counters.Accepted / elapsed.TotalSeconds, "events/s", raw?.EventsPerSecond));
        report.Add(new Figure("requests/s", counters.Requests / elapsed.TotalSeconds, "req/s"));
        report.Add(new Figure("events accepted", counters.Accepted, "events"));
        if (load.EventsPerSecond is not null)
        {
            report.Add(new Figure("requests not sent by the end (behind schedule)", counters.NotSent, "requests"));
        }
        report.Add(new Figure("latency p50", total.P50, "ms"));
        report.Add(new Figure("latency p95", total.P95, "ms"));
        report.Add(new Figure("latency p99", total.P99, "ms"));
        report.Add(new Figure("latency p99.9", total.P999, "ms"));
        report.Add(new Figure("latency max", total.Max, "ms"));
        if (raw is not null)
        {
            report.Add(new Figure("raw transactions/s", raw.Transactions / raw.Elapsed.TotalSeconds, "tx/s"));
            report.Add(new Figure("raw transaction latency p50", raw.Latency.P50, "ms"));
            report.Add(new Figure("raw transaction latency p99", raw.Latency.P99, "ms"));
        }

        report.Check("no failed requests", counters.Failed == 0,
            counters.Failed == 0 ? $"{counters.Requests:N0} requests" : string.Join(", ", counters.FailuresByStatus.Select(f => $"{f.Key}: {f.Value}")));
        if (load.EventsPerSecond is { } rate)
        {
            report.Notes.Add($"Open loop at {rate:0} events/s: the accepted rate is the offered rate when Ingest keeps up; the ratio compares it with the raw ceiling.");
        }

        report.Panels.Add(new Panel("Throughput", "events/s", BenchOutput.Merge(monitor.Select("accepted/s"), rawMonitor?.Select("raw events/s"))));
        report.Panels.Add(new Panel("202 latency per second", "ms", monitor.Select("p50", "p95", "p99")));
        await BenchOutput.FinishAsync(report, target, console, cancellationToken);
        return report;
    }

    private static async Task<(RawIngestResult Result, PhaseMonitor Monitor)> RawPhaseAsync(BenchSystem system, AuthErrorBodies bodies, LoadShape load, string series,
        TextWriter console, CancellationToken cancellationToken)
    {
        long events = 0, previous = 0;
        var monitor = new PhaseMonitor(console, TimeSpan.FromSeconds(1), sinceLast =>
        {
            var now = Interlocked.Read(ref events);
            IReadOnlyDictionary<string, double> values = new Dictionary<string, double> { [series] = (now - Interlocked.Exchange(ref previous, now)) / sinceLast };
            return Task.FromResult(values);
        }, (seconds, v) => $"{seconds,5:0} s  raw {Interlocked.Read(ref events),9:N0}  {v[series],7:N0}/s");
        var result = await RawIngestBaseline.RunAsync(system.DataSource, bodies, load.Connections, load.Duration, load.Batch,
            done => Interlocked.Exchange(ref events, done), cancellationToken);
        await monitor.StopAsync();
        return (result, monitor);
    }
}

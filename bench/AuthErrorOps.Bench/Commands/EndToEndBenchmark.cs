using System.CommandLine;
using System.Globalization;
using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using Dapper;

namespace AuthErrorOps.Bench.Commands;

/// <summary>
/// <c>e2e</c>: a constant arrival rate through Ingest, Relay and Consumer. Accepted, published and
/// linked per second; backlog, queue depth and memory over time; ingest→linked latency from the
/// database (auth_error.received_at to auth_error_cluster_item.linked_at); and an exactness check.
/// </summary>
public static class EndToEndBenchmark
{
    public sealed record Settings(double Rate, TimeSpan Duration, int Connections, int Relays, int Consumers, int Batch, TimeSpan DrainTimeout, TimeSpan Warmup);

    private const string SampleSql = """
        SELECT (SELECT coalesce(max(id), 0) FROM outbox_message) AS LastOutboxId,
               (SELECT count(*) FROM outbox_message WHERE status = 'PENDING') AS Pending,
               (SELECT count(*) FROM outbox_message WHERE status = 'PROCESSING') AS Processing,
               (SELECT coalesce(sum(total_count), 0)::bigint FROM auth_error_cluster WHERE id > @AfterClusterId) AS Linked
        """;

    private const string MarksSql = """
        SELECT (SELECT coalesce(max(id), 0) FROM auth_error) AS LastErrorId,
               (SELECT coalesce(max(id), 0) FROM outbox_message) AS LastOutboxId,
               (SELECT coalesce(max(id), 0) FROM auth_error_cluster) AS LastClusterId
        """;

    // linked_at is the linking transaction's start, received_at Ingest's clock on arrival: same machine, same clock.
    private const string LatencySql = """
        -- published_at splits the path: ingest + relay (commit, wake-up, claim, confirm) and broker + consumer.
        SELECT extract(epoch FROM a.received_at)::float8 AS ReceivedEpoch, (extract(epoch FROM i.linked_at - a.received_at) * 1000)::float8 AS Milliseconds,
               (extract(epoch FROM o.published_at - a.received_at) * 1000)::float8 AS PublishedMilliseconds
        FROM auth_error a JOIN auth_error_cluster_item i ON i.auth_error_id = a.id
        LEFT JOIN outbox_message o ON o.event_id = a.event_id
        WHERE a.id > @AfterErrorId
        """;

    private const string ExactnessSql = """
        SELECT (SELECT count(*) FROM auth_error WHERE id > @AfterErrorId) AS Stored,
               (SELECT count(*) FROM auth_error WHERE id > @AfterErrorId AND status = 'LINKED') AS Linked,
               (SELECT coalesce(sum(total_count), 0) FROM auth_error_cluster WHERE id > @AfterClusterId)::bigint AS Counted,
               (SELECT count(*) FROM auth_error_cluster_item WHERE auth_error_id > @AfterErrorId) AS Items,
               (SELECT count(*) FROM processed_message p JOIN auth_error a ON a.event_id = p.event_id WHERE a.id > @AfterErrorId AND p.consumer = @Consumer) AS Processed,
               (SELECT count(*) FROM outbox_message WHERE id > @AfterOutboxId AND status <> 'PUBLISHED') AS Unpublished,
               (SELECT count(*) FROM dead_letter_message WHERE first_seen_at >= @Since) AS DeadLetters
        """;

    public static Command CreateCommand()
    {
        var target = new BenchTargetOptions();
        var rate = new Option<double>("--rate") { Description = "Events per second offered to Ingest (open loop).", DefaultValueFactory = _ => 1_000 };
        var duration = new Option<int>("--duration") { Description = "Seconds of load.", DefaultValueFactory = _ => 60 };
        var connections = new Option<int>("--connections") { Description = "HTTP connections.", DefaultValueFactory = _ => 64 };
        var relays = new Option<int>("--relays") { Description = "Relay processes.", DefaultValueFactory = _ => 1 };
        var consumers = new Option<int>("--consumers") { Description = "Consumer processes.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Items per ingest request (1: single events).", DefaultValueFactory = _ => 1 };
        var drain = new Option<int>("--drain-timeout") { Description = "Seconds to wait after the load for every event to be linked.", DefaultValueFactory = _ => 120 };
        var warmup = new Option<int>("--warmup") { Description = "Seconds of unmeasured load first, at a tenth of the rate.", DefaultValueFactory = _ => 3 };
        var command = new Command("e2e", "Constant arrival rate through the whole pipeline: rates, ingest→linked latency, backlog, memory, exactness.")
        {
            rate, duration, connections, relays, consumers, batch, drain, warmup,
        };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(connections), parse.GetValue(relays),
                parse.GetValue(consumers), Math.Max(1, parse.GetValue(batch)), TimeSpan.FromSeconds(parse.GetValue(drain)), TimeSpan.FromSeconds(parse.GetValue(warmup)));
            var report = await RunAsync(await target.ReadAsync(parse, cancellationToken), settings, Console.Out, cancellationToken);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    public static async Task<BenchReport> RunAsync(BenchTarget target, Settings settings, TextWriter console, CancellationToken cancellationToken)
    {
        var report = new BenchReport("e2e");
        report.Parameters["rate"] = $"{settings.Rate:0} events/s";
        report.Parameters["duration"] = $"{settings.Duration.TotalSeconds:0} s";
        report.Parameters["connections"] = settings.Connections.ToString(CultureInfo.InvariantCulture);
        report.Parameters["relays"] = settings.Relays.ToString(CultureInfo.InvariantCulture);
        report.Parameters["consumers"] = settings.Consumers.ToString(CultureInfo.InvariantCulture);
        report.Parameters["mode"] = settings.Batch > 1 ? $"batch of {settings.Batch}" : "single";

        console.WriteLine("starting servers and services …");
        await using var system = await BenchSystem.StartAsync(target, null, cancellationToken);
        await system.StartServicesAsync([ServiceSpec.Ingest, ServiceSpec.Relay(settings.Relays), ServiceSpec.Consumer(settings.Consumers)], null, cancellationToken);
        var load = new LoadShape(settings.Rate, settings.Connections, settings.Duration, settings.Batch);

        if (settings.Warmup > TimeSpan.Zero)
        {
            console.WriteLine($"warm-up {settings.Warmup.TotalSeconds:0} s at {settings.Rate / 10:0}/s …");
            var warmupCounters = new LoadCounters();
            var warmupLoad = new HttpLoad(system.IngestUrl!, system.ApiKey!, new AuthErrorBodies(AuthErrorBodies.NewRunId()));
            await warmupLoad.RunAsync(load with { EventsPerSecond = settings.Rate / 10, Duration = settings.Warmup }, 0, new LatencyRecorder(), warmupCounters, cancellationToken);
            await RelayBenchmark.WaitUntilAsync(async () =>
            {
                await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
                return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM auth_error WHERE status <> 'LINKED'", cancellationToken: cancellationToken)) == 0;
            }, TimeSpan.FromSeconds(60), cancellationToken);
        }

        (long LastErrorId, long LastOutboxId, long LastClusterId) marks;
        await using (var connection = await system.DataSource.OpenConnectionAsync(cancellationToken))
        {
            marks = await connection.QuerySingleAsync<(long, long, long)>(new CommandDefinition(MarksSql, cancellationToken: cancellationToken));
        }

        var since = DateTimeOffset.UtcNow;
        var bodies = new AuthErrorBodies(AuthErrorBodies.NewRunId());
        var http = new HttpLoad(system.IngestUrl!, system.ApiKey!, bodies);
        var latencies = new LatencyRecorder();
        var counters = new LoadCounters();
        await using var channel = await system.Broker.CreateChannelAsync(cancellationToken: cancellationToken);
        var retryQueues = MessagingOptions.DefaultRetryDelays.Select(AuthErrorTopology.RetryQueue).ToList();
        var services = system.Meter.Names.Where(name => name is not "postgres" and not "beam.smp").ToList();

        console.WriteLine($"measuring: {settings.Rate:0} events/s for {settings.Duration.TotalSeconds:0} s …");
        var phase = MeasuredPhase.Begin(system);
        long previousAccepted = 0, previousPublished = 0, previousLinked = 0;
        var previousCpu = new Dictionary<string, double>(StringComparer.Ordinal);
        var monitor = new PhaseMonitor(console, TimeSpan.FromSeconds(1), async sinceLast =>
        {
            await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
            var sample = await connection.QuerySingleAsync<(long LastOutboxId, long Pending, long Processing, long Linked)>(
                new CommandDefinition(SampleSql, new { AfterClusterId = marks.LastClusterId }, cancellationToken: cancellationToken));
            var accepted = counters.Accepted;
            var published = sample.LastOutboxId - marks.LastOutboxId - sample.Pending - sample.Processing;
            var interval = latencies.TakeInterval();
            long retrying = 0;
            foreach (var queue in retryQueues)
            {
                retrying += await RawBroker.DepthAsync(channel, queue, cancellationToken);
            }

            var values = new Dictionary<string, double>
            {
                ["accepted/s"] = (accepted - previousAccepted) / sinceLast,
                ["published/s"] = (published - previousPublished) / sinceLast,
                ["linked/s"] = (sample.Linked - previousLinked) / sinceLast,
                ["linked"] = sample.Linked,
                ["published"] = published,
                ["outbox backlog"] = sample.Pending + sample.Processing,
                ["queue depth"] = await RawBroker.DepthAsync(channel, AuthErrorTopology.RecordedQueue, cancellationToken),
                ["retry queues"] = retrying,
                ["dead-letter queue"] = await RawBroker.DepthAsync(channel, AuthErrorTopology.DeadLetterQueue, cancellationToken),
            };
            if (interval.Count > 0)
            {
                (values["ingest p50"], values["ingest p99"]) = (interval.P50, interval.P99);
            }

            foreach (var process in system.Meter.Sample())
            {
                if (services.Contains(process.Name) && process.RssBytes is not null)
                {
                    values["rss " + process.Name] = process.RssBytes.Value / 1024.0 / 1024.0;
                }

                // Second by second, who had the cores: a latency wave shows which process lost its share, and to what.
                if (previousCpu.TryGetValue(process.Name, out var previous))
                {
                    values["cores " + process.Name] = Math.Max(0, process.CpuSeconds - previous) / sinceLast;
                }

                previousCpu[process.Name] = process.CpuSeconds;
            }

            if (ProcessMeter.DirtyPageCacheMegabytes() is { } dirty)
            {
                values["dirty page cache"] = dirty;
            }

            (previousAccepted, previousPublished, previousLinked) = (accepted, published, sample.Linked);
            return (IReadOnlyDictionary<string, double>)values;
        }, (seconds, v) => $"{seconds,5:0} s  accepted {v["accepted/s"],6:N0}/s  published {v["published/s"],6:N0}/s  linked {v["linked/s"],6:N0}/s  backlog {v["outbox backlog"],7:N0}  queue {v["queue depth"],7:N0}");

        await http.RunAsync(load, 0, latencies, counters, cancellationToken);
        var loadElapsed = phase.Elapsed;
        console.WriteLine();
        console.WriteLine($"load done after {loadElapsed.TotalSeconds:0.0} s; draining …");
        var drained = await RelayBenchmark.WaitUntilAsync(async () =>
        {
            await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
            var linked = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT coalesce(sum(total_count), 0)::bigint FROM auth_error_cluster WHERE id > @AfterClusterId", new { AfterClusterId = marks.LastClusterId }, cancellationToken: cancellationToken));
            return linked >= counters.Accepted;
        }, settings.DrainTimeout, cancellationToken);
        var drainTime = phase.Elapsed - loadElapsed;
        await monitor.StopAsync();
        await phase.EndAsync(report);

        await using var db = await system.DataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await BoundedQuery.RunAsync("the latency query over the run's events", BoundedQuery.RunSized, timeout =>
            db.QueryAsync<(double ReceivedEpoch, double Milliseconds, double? PublishedMilliseconds)>(new CommandDefinition(
                LatencySql, new { AfterErrorId = marks.LastErrorId }, commandTimeout: timeout, cancellationToken: cancellationToken)))).ToList();
        var endToEnd = LatencyRecorder.Summarize(rows.Select(r => TimeSpan.FromMilliseconds(r.Milliseconds)));
        var toPublished = LatencyRecorder.Summarize(rows.Where(r => r.PublishedMilliseconds is not null).Select(r => TimeSpan.FromMilliseconds(r.PublishedMilliseconds!.Value)));
        var publishedToLinked = LatencyRecorder.Summarize(rows.Where(r => r.PublishedMilliseconds is not null).Select(r => TimeSpan.FromMilliseconds(r.Milliseconds - r.PublishedMilliseconds!.Value)));
        var exact = await BoundedQuery.RunAsync("the exactness query over the run's events", BoundedQuery.RunSized, timeout =>
            db.QuerySingleAsync<(long Stored, long Linked, long Counted, long Items, long Processed, long Unpublished, long DeadLetters)>(new CommandDefinition(ExactnessSql,
                new { AfterErrorId = marks.LastErrorId, AfterClusterId = marks.LastClusterId, AfterOutboxId = marks.LastOutboxId, Consumer = ClusterLinker.ConsumerName, Since = since },
                commandTimeout: timeout, cancellationToken: cancellationToken)));

        var seconds = loadElapsed.TotalSeconds;
        var ingest = latencies.Total();
        report.Add(new Figure("offered", settings.Rate, "events/s"));
        report.Add(new Figure("accepted", counters.Accepted / seconds, "events/s"));
        report.Add(new Figure("requests not sent by the end (behind schedule)", counters.NotSent, "requests"));
        report.Add(new Figure("published (during load, mean)", AtOrBefore(monitor["published"], seconds) / seconds, "events/s"));
        report.Add(new Figure("linked (during load, mean)", AtOrBefore(monitor["linked"], seconds) / seconds, "events/s"));
        report.Add(new Figure("ingest→linked p50", endToEnd.P50, "ms"));
        report.Add(new Figure("ingest→linked p95", endToEnd.P95, "ms"));
        report.Add(new Figure("ingest→linked p99", endToEnd.P99, "ms"));
        report.Add(new Figure("ingest→linked max", endToEnd.Max, "ms"));
        report.Add(new Figure("ingest→published p50", toPublished.P50, "ms"));
        report.Add(new Figure("ingest→published p99", toPublished.P99, "ms"));
        report.Add(new Figure("published→linked p50", publishedToLinked.P50, "ms"));
        report.Add(new Figure("published→linked p99", publishedToLinked.P99, "ms"));
        report.Add(new Figure("ingest 202 p50", ingest.P50, "ms"));
        report.Add(new Figure("ingest 202 p99", ingest.P99, "ms"));
        report.Add(new Figure("max outbox backlog", Max(monitor["outbox backlog"]), "rows"));
        report.Add(new Figure("max queue depth", Max(monitor["queue depth"]), "messages"));
        report.Add(new Figure("drain after the load", drainTime.TotalSeconds, "s"));
        foreach (var service in services)
        {
            if (monitor["rss " + service] is { Count: > 2 } rss)
            {
                var first = rss[1].Value;
                report.Add(new Figure($"RSS growth {service} (after 1 s → end)", (rss[^1].Value - first) / first * 100, "%"));
                // From a cold start, JIT and pools make the first minute grow; flatness is judged once warm.
                if (loadElapsed >= TimeSpan.FromMinutes(2) && rss.FirstOrDefault(point => point.Seconds >= 60) is { } warm)
                {
                    var end = rss.LastOrDefault(point => point.Seconds <= loadElapsed.TotalSeconds) ?? rss[^1];
                    report.Add(new Figure($"RSS growth {service} (60 s → end of load)", (end.Value - warm.Value) / warm.Value * 100, "%"));
                }
            }
        }

        report.Check("every accepted event linked", drained && exact.Linked == counters.Accepted,
            $"{counters.Accepted:N0} accepted, {exact.Stored:N0} stored, {exact.Linked:N0} LINKED");
        report.Check("counted exactly once", exact.Counted == exact.Stored && exact.Items == exact.Stored && exact.Processed == exact.Stored,
            $"sum of the run's cluster counts {exact.Counted:N0}, cluster items {exact.Items:N0}, processed_message {exact.Processed:N0}, stored {exact.Stored:N0}");
        report.Check("nothing unpublished or dead-lettered", exact.Unpublished == 0 && exact.DeadLetters == 0, $"{exact.Unpublished} outbox rows not PUBLISHED, {exact.DeadLetters} dead letters");
        report.Check("no failed requests", counters.Failed == 0, counters.Failed == 0 ? $"{counters.Requests:N0} requests" : string.Join(", ", counters.FailuresByStatus.Select(f => $"{f.Key}: {f.Value}")));
        report.Notes.Add("ingest→linked runs from auth_error.received_at (Ingest's clock on arrival) to auth_error_cluster_item.linked_at (start of the linking transaction; its commit, a few ms, is not included).");

        var start = since.ToUnixTimeMilliseconds() / 1000.0;
        var perSecond = rows.GroupBy(r => Math.Floor(r.ReceivedEpoch - start)).Where(g => g.Key >= 0).OrderBy(g => g.Key).Select(g =>
            (Second: g.Key, Summary: LatencyRecorder.Summarize(g.Select(r => TimeSpan.FromMilliseconds(r.Milliseconds))))).ToList();
        report.Panels.Add(new Panel("Throughput", "events/s", monitor.Select("accepted/s", "published/s", "linked/s")));
        report.Panels.Add(new Panel("Ingest→linked latency by arrival second", "ms", new Dictionary<string, IReadOnlyList<Point>>
        {
            ["p50"] = perSecond.Select(s => new Point(s.Second, s.Summary.P50)).ToList(),
            ["p95"] = perSecond.Select(s => new Point(s.Second, s.Summary.P95)).ToList(),
            ["p99"] = perSecond.Select(s => new Point(s.Second, s.Summary.P99)).ToList(),
        }));
        report.Panels.Add(new Panel("Ingest 202 latency", "ms", monitor.Select("ingest p50", "ingest p99")));
        report.Panels.Add(new Panel("Backlog and queues", "messages", monitor.Select("outbox backlog", "queue depth", "retry queues", "dead-letter queue")));
        report.Panels.Add(new Panel("Service memory (RSS)", "MB", monitor.SelectPrefixed("rss ")));
        report.Panels.Add(new Panel("CPU by process", "cores", monitor.SelectPrefixed("cores ")));
        report.Panels.Add(new Panel("Dirty page cache (written back by the kernel)", "MB", monitor.Select("dirty page cache")));
        await BenchOutput.FinishAsync(report, target, console, cancellationToken);
        return report;
    }

    /// <summary>The last sample of a running total taken by <paramref name="seconds"/>.</summary>
    private static double AtOrBefore(IReadOnlyList<Point> totals, double seconds) => totals.LastOrDefault(p => p.Seconds <= seconds + 0.5)?.Value ?? 0;

    private static double Max(IReadOnlyList<Point> points) => points.Count == 0 ? 0 : points.Max(p => p.Value);
}

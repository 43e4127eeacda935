using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using Dapper;
using RabbitMQ.Client;

namespace AuthErrorOps.Bench.Commands;

/// <summary>
/// <c>faults</c>: valid events mixed with poison messages (malformed, published straight to the
/// exchange), events whose error does not exist (unknown_auth_error), and events whose linking
/// fails in the database once (retried, then linked) or every time (retries exhausted, DLQ).
/// Reports retry and dead-letter rates and accounts for every message.
/// </summary>
public static class FaultsBenchmark
{
    public sealed record Settings(int Count, double MalformedShare, double UnknownShare, double TransientShare, double PermanentShare, TimeSpan Timeout)
    {
        public int Malformed => (int)Math.Round(Count * MalformedShare);

        public int Unknown => (int)Math.Round(Count * UnknownShare);

        public int Transient => (int)Math.Round(Count * TransientShare);

        public int Permanent => (int)Math.Round(Count * PermanentShare);
    }

    /// <summary>Short tiers so a message walks all of them within seconds (the services get the same).</summary>
    public static readonly TimeSpan[] ShortRetryDelays = [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    // A real database failure inside the linking transaction, for chosen errors: 'transient' fails on the first
    // attempt only (a per-error sequence survives the rollback), 'permanent' on every attempt.
    private const string InstallFaultsSql = """
        CREATE TABLE IF NOT EXISTS bench_fault (auth_error_id bigint PRIMARY KEY, kind text NOT NULL CHECK (kind IN ('transient', 'permanent')));
        CREATE SEQUENCE IF NOT EXISTS bench_fault_failures;
        CREATE OR REPLACE FUNCTION bench_fault_inject() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            fault text;
        BEGIN
            SELECT kind INTO fault FROM bench_fault WHERE auth_error_id = NEW.auth_error_id;
            -- Nested, not AND: SQL does not promise to skip nextval for errors without a fault (and their sequence does not exist).
            IF fault = 'transient' THEN
                IF nextval(('bench_fault_seq_' || NEW.auth_error_id)::regclass) > 1 THEN
                    RETURN NEW;
                END IF;
            END IF;
            IF fault IS NOT NULL THEN
                PERFORM nextval('bench_fault_failures');
                RAISE EXCEPTION 'bench: injected % failure linking auth_error %', fault, NEW.auth_error_id;
            END IF;
            RETURN NEW;
        END $$;
        DROP TRIGGER IF EXISTS bench_fault_inject ON auth_error_cluster_item;
        CREATE TRIGGER bench_fault_inject BEFORE INSERT ON auth_error_cluster_item FOR EACH ROW EXECUTE FUNCTION bench_fault_inject();
        """;

    private const string AddFaultsSql = """
        INSERT INTO bench_fault (auth_error_id, kind) SELECT unnest(@Transient::bigint[]), 'transient'
        UNION ALL SELECT unnest(@Permanent::bigint[]), 'permanent';
        DO $$
        DECLARE
            id bigint;
        BEGIN
            FOR id IN SELECT auth_error_id FROM bench_fault WHERE kind = 'transient' LOOP
                EXECUTE format('CREATE SEQUENCE IF NOT EXISTS bench_fault_seq_%s', id);
            END LOOP;
        END $$;
        """;

    private const string RemoveFaultsSql = """
        DROP TRIGGER IF EXISTS bench_fault_inject ON auth_error_cluster_item;
        DROP FUNCTION IF EXISTS bench_fault_inject();
        DO $$
        DECLARE
            name text;
        BEGIN
            FOR name IN SELECT sequencename FROM pg_sequences WHERE sequencename LIKE 'bench\_fault\_seq\_%' LOOP
                EXECUTE format('DROP SEQUENCE %I', name);
            END LOOP;
        END $$;
        DROP SEQUENCE IF EXISTS bench_fault_failures;
        DROP TABLE IF EXISTS bench_fault;
        """;

    /// <summary>Bound to the retry exchange next to the tier queues: it keeps a copy of every retry, so retries are counted exactly.</summary>
    private const string RetryTapQueue = "bench.retry.tap";

    private const string FailuresSql = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM bench_fault_failures";

    private const string ProgressSql = """
        SELECT (SELECT coalesce(sum(total_count), 0)::bigint FROM auth_error_cluster WHERE id > @AfterClusterId) AS Linked,
               (SELECT count(*) FROM dead_letter_message WHERE message_key = ANY(@Keys)) AS DeadLettered,
               (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM bench_fault_failures) AS Failures
        """;

    private const string OutcomeSql = """
        SELECT reason AS Reason, count(*) AS Count, min(retry_count) AS MinRetries, max(retry_count) AS MaxRetries
        FROM dead_letter_message WHERE message_key = ANY(@Keys) GROUP BY reason;
        SELECT (SELECT coalesce(sum(total_count), 0) FROM auth_error_cluster WHERE id > @AfterClusterId)::bigint AS Counted,
               (SELECT count(*) FROM processed_message p JOIN auth_error a ON a.event_id = p.event_id
                 WHERE a.id BETWEEN @FirstId AND @LastId AND p.consumer = @Consumer) AS Processed,
               (SELECT count(*) FROM auth_error WHERE id BETWEEN @FirstId AND @LastId AND status = 'LINKED') AS Linked,
               (SELECT count(*) FROM auth_error WHERE id = ANY(@Permanent) AND status = 'DEAD') AS MarkedDead;
        """;

    public static Command CreateCommand()
    {
        var target = new BenchTargetOptions();
        var count = new Option<int>("--count") { Description = "Valid events (errors stored); the shares are of this number.", DefaultValueFactory = _ => 10_000 };
        var malformed = new Option<double>("--malformed") { Description = "Share of poison messages (bad JSON, no ids, wrong type, id mismatch).", DefaultValueFactory = _ => 0.02 };
        var unknown = new Option<double>("--unknown") { Description = "Share of events naming an error that does not exist.", DefaultValueFactory = _ => 0.02 };
        var transient = new Option<double>("--transient") { Description = "Share of events whose linking fails once (retried).", DefaultValueFactory = _ => 0.05 };
        var permanent = new Option<double>("--permanent") { Description = "Share of events whose linking always fails (retries exhausted).", DefaultValueFactory = _ => 0.01 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait until every message is accounted for.", DefaultValueFactory = _ => 300 };
        var command = new Command("faults", "Retries and dead letters under poison messages and processing failures; nothing may be lost.")
        {
            count, malformed, unknown, transient, permanent, timeout,
        };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(count), parse.GetValue(malformed), parse.GetValue(unknown), parse.GetValue(transient),
                parse.GetValue(permanent), TimeSpan.FromSeconds(parse.GetValue(timeout)));
            var report = await RunAsync(await target.ReadAsync(parse, cancellationToken), settings, Console.Out, cancellationToken);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    public static async Task<BenchReport> RunAsync(BenchTarget target, Settings settings, TextWriter console, CancellationToken cancellationToken)
    {
        var report = new BenchReport("faults");
        report.Parameters["valid events"] = settings.Count.ToString("N0", CultureInfo.InvariantCulture);
        report.Parameters["malformed"] = settings.Malformed.ToString(CultureInfo.InvariantCulture);
        report.Parameters["unknown error"] = settings.Unknown.ToString(CultureInfo.InvariantCulture);
        report.Parameters["fail once"] = settings.Transient.ToString(CultureInfo.InvariantCulture);
        report.Parameters["always fail"] = settings.Permanent.ToString(CultureInfo.InvariantCulture);

        console.WriteLine("starting servers …");
        await using var system = await BenchSystem.StartAsync(target, target.ServicesAreExternal ? null : ShortRetryDelays, cancellationToken);
        var tiers = target.ServicesAreExternal ? MessagingOptions.DefaultRetryDelays : ShortRetryDelays;
        report.Parameters["retry tiers"] = string.Join(" / ", tiers.Select(AuthErrorTopology.RetryTierName));
        var runId = AuthErrorBodies.NewRunId();

        long afterClusterId;
        await using (var connection = await system.DataSource.OpenConnectionAsync(cancellationToken))
        {
            afterClusterId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT coalesce(max(id), 0) FROM auth_error_cluster", cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(InstallFaultsSql, cancellationToken: cancellationToken));
        }

        try
        {
            console.WriteLine("storing errors, choosing faults, queueing the mix …");
            var events = await PipelineSeeder.SeedStoredErrorsAsync(system.DataSource, runId, settings.Count, 30, cancellationToken);
            var shuffled = events.OrderBy(_ => Random.Shared.Next()).ToList();
            var transient = shuffled.Take(settings.Transient).Select(e => e.AuthErrorId).ToArray();
            var permanent = shuffled.Skip(settings.Transient).Take(settings.Permanent).Select(e => e.AuthErrorId).ToArray();
            await using (var connection = await system.DataSource.OpenConnectionAsync(cancellationToken))
            {
                await connection.ExecuteAsync(new CommandDefinition(AddFaultsSql, new { Transient = transient, Permanent = permanent }, cancellationToken: cancellationToken));
            }

            var unknown = Enumerable.Range(1, settings.Unknown).Select(n => UnknownError(runId, n)).ToList();
            var malformed = Enumerable.Range(1, settings.Malformed).Select(n => Malformed(runId, n)).ToList();
            var valid = events.Select(e => e.ToMessage()).ToList();
            var all = valid.Concat(unknown).Concat(malformed).OrderBy(_ => Random.Shared.Next()).ToList();
            // Every message of the run: a dead letter nobody expected must show up too.
            var deadLetterKeys = all.Select(m => m.MessageId).ToArray();
            var (firstId, lastId) = (events.Min(e => e.AuthErrorId), events.Max(e => e.AuthErrorId));
            var expectedLinked = settings.Count - settings.Permanent;
            var expectedDeadLetters = settings.Malformed + settings.Unknown + settings.Permanent;

            await using var channel = await system.Broker.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(RetryTapQueue, durable: false, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
            foreach (var tier in tiers)
            {
                await channel.QueueBindAsync(RetryTapQueue, AuthErrorTopology.RetryExchange, AuthErrorTopology.RetryTierName(tier), cancellationToken: cancellationToken);
            }

            long previousRetries = 0;
            var phase = MeasuredPhase.Begin(system);
            var clock = Stopwatch.StartNew();
            (long Linked, long DeadLettered, long Failures) last = default;
            var monitor = new PhaseMonitor(console, TimeSpan.FromSeconds(1), async sinceLast =>
            {
                await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
                var progress = await connection.QuerySingleAsync<(long Linked, long DeadLettered, long Failures)>(
                    new CommandDefinition(ProgressSql, new { AfterClusterId = afterClusterId, Keys = deadLetterKeys }, cancellationToken: cancellationToken));
                long retrying = 0;
                foreach (var tier in tiers)
                {
                    retrying += await RawBroker.DepthAsync(channel, AuthErrorTopology.RetryQueue(tier), cancellationToken);
                }

                var retries = (long)await RawBroker.DepthAsync(channel, RetryTapQueue, cancellationToken);
                IReadOnlyDictionary<string, double> values = new Dictionary<string, double>
                {
                    ["linked/s"] = (progress.Linked - last.Linked) / sinceLast,
                    ["retried/s"] = (retries - Interlocked.Exchange(ref previousRetries, retries)) / sinceLast,
                    ["dead-lettered/s"] = (progress.DeadLettered - last.DeadLettered) / sinceLast,
                    ["failed attempts/s"] = (progress.Failures - last.Failures) / sinceLast,
                    ["queue depth"] = await RawBroker.DepthAsync(channel, AuthErrorTopology.RecordedQueue, cancellationToken),
                    ["in retry queues"] = retrying,
                    ["dead-letter queue"] = await RawBroker.DepthAsync(channel, AuthErrorTopology.DeadLetterQueue, cancellationToken),
                };
                last = progress;
                return values;
            }, (seconds, v) => $"{seconds,5:0} s  linked {last.Linked,7:N0}/{expectedLinked:N0}  dead-lettered {last.DeadLettered,6:N0}/{expectedDeadLetters:N0}  failed attempts {last.Failures,6:N0}  retrying {v["in retry queues"],5:N0}");

            await RawBroker.PublishConfirmedAsync(system.Broker, AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType, all, 1_000, null, cancellationToken);
            await system.StartServicesAsync([ServiceSpec.Consumer()], ShortRetryEnvironment(), cancellationToken);
            var settled = await RelayBenchmark.WaitUntilAsync(async () =>
            {
                await using var connection = await system.DataSource.OpenConnectionAsync(cancellationToken);
                var progress = await connection.QuerySingleAsync<(long Linked, long DeadLettered, long Failures)>(
                    new CommandDefinition(ProgressSql, new { AfterClusterId = afterClusterId, Keys = deadLetterKeys }, cancellationToken: cancellationToken));
                return progress.Linked >= expectedLinked && progress.DeadLettered >= expectedDeadLetters;
            }, settings.Timeout, cancellationToken);
            var elapsed = clock.Elapsed;
            await monitor.StopAsync();
            await phase.EndAsync(report);

            await using var db = await system.DataSource.OpenConnectionAsync(cancellationToken);
            var failures = await db.ExecuteScalarAsync<long>(new CommandDefinition(FailuresSql, cancellationToken: cancellationToken));
            await using var outcome = await db.QueryMultipleAsync(new CommandDefinition(OutcomeSql, new
            {
                Keys = deadLetterKeys,
                AfterClusterId = afterClusterId,
                FirstId = firstId,
                LastId = lastId,
                Consumer = ClusterLinker.ConsumerName,
                Permanent = permanent,
            }, cancellationToken: cancellationToken));
            var ledger = (await outcome.ReadAsync<(string Reason, long Count, int MinRetries, int MaxRetries)>()).ToList();
            var reasons = ledger.ToDictionary(r => r.Reason, r => r.Count, StringComparer.Ordinal);
            var exhausted = ledger.FirstOrDefault(r => r.Reason == "retries_exhausted");
            var exact = await outcome.ReadSingleAsync<(long Counted, long Processed, long Linked, long MarkedDead)>();
            var depths = new List<uint> { await RawBroker.DepthAsync(channel, AuthErrorTopology.RecordedQueue, cancellationToken), await RawBroker.DepthAsync(channel, AuthErrorTopology.DeadLetterQueue, cancellationToken) };
            foreach (var tier in tiers)
            {
                depths.Add(await RawBroker.DepthAsync(channel, AuthErrorTopology.RetryQueue(tier), cancellationToken));
            }

            var retries = (long)await RawBroker.DepthAsync(channel, RetryTapQueue, cancellationToken);
            var leastRetries = (long)settings.Permanent * tiers.Count;
            var deadLettered = reasons.Values.Sum();
            report.Add(new Figure("messages published", all.Count, "messages"));
            report.Add(new Figure("all settled in (consumer start-up included)", elapsed.TotalSeconds, "s"));
            report.Add(new Figure("messages settled per second", all.Count / elapsed.TotalSeconds, "msg/s"));
            report.Add(new Figure("linked", exact.Linked, "events"));
            report.Add(new Figure("injected failures (trigger fired)", failures, "failures"));
            report.Add(new Figure("retries (sent to a retry tier)", retries, "messages"));
            report.Add(new Figure("retry rate", retries / elapsed.TotalSeconds, "msg/s"));
            report.Add(new Figure("dead-lettered", deadLettered, "messages"));
            report.Add(new Figure("dead-letter rate", deadLettered / elapsed.TotalSeconds, "msg/s"));
            report.Add(new Figure("dead-lettered share of published", (double)deadLettered / all.Count * 100, "%"));
            foreach (var (reason, number) in reasons.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                report.Add(new Figure($"dead letters: {reason}", number, "messages"));
            }

            report.Check("settled within the timeout", settled, $"{elapsed.TotalSeconds:0.0} s");
            report.Check("valid events linked exactly once", exact.Linked == expectedLinked && exact.Counted == expectedLinked && exact.Processed == expectedLinked,
                $"LINKED {exact.Linked:N0}, cluster counts {exact.Counted:N0}, processed_message {exact.Processed:N0}, expected {expectedLinked:N0}");
            report.Check("poison and failures dead-lettered with their reason",
                reasons.GetValueOrDefault("malformed") == settings.Malformed && reasons.GetValueOrDefault("unknown_auth_error") == settings.Unknown
                    && reasons.GetValueOrDefault("retries_exhausted") == settings.Permanent && deadLettered == expectedDeadLetters,
                $"malformed {reasons.GetValueOrDefault("malformed")}/{settings.Malformed}, unknown_auth_error {reasons.GetValueOrDefault("unknown_auth_error")}/{settings.Unknown}, retries_exhausted {reasons.GetValueOrDefault("retries_exhausted")}/{settings.Permanent}");
            // A batched consumer relinks a failed batch message by message, so an event that fails once may be linked without a retry.
            report.Check("failing events retried through every tier", retries >= leastRetries && retries <= leastRetries + settings.Transient
                    && (settings.Permanent == 0 || (exhausted.MinRetries == tiers.Count && exhausted.MaxRetries == tiers.Count)),
                $"{retries} retries (between {leastRetries} and {leastRetries + settings.Transient}); exhausted ones dead-lettered after {exhausted.MinRetries}–{exhausted.MaxRetries} of {tiers.Count} tiers");
            report.Check("exhausted events marked DEAD", exact.MarkedDead == settings.Permanent, $"{exact.MarkedDead} of {settings.Permanent}");
            report.Check("nothing lost", exact.Linked + deadLettered == all.Count && depths.All(d => d == 0),
                $"linked {exact.Linked:N0} + dead-lettered {deadLettered:N0} = {exact.Linked + deadLettered:N0} of {all.Count:N0} published; queues left: {string.Join("/", depths)}");
            report.Panels.Add(new Panel("Outcomes per second", "msg/s", monitor.Select("linked/s", "retried/s", "dead-lettered/s", "failed attempts/s")));
            report.Panels.Add(new Panel("Queues", "messages", monitor.Select("queue depth", "in retry queues", "dead-letter queue")));
            report.Notes.Add("Processing failures are real database errors: a bench trigger on auth_error_cluster_item raises for chosen errors (once, or always); it is removed after the run.");
            await BenchOutput.FinishAsync(report, target, console, cancellationToken);
            return report;
        }
        finally
        {
            await using var cleanup = await system.DataSource.OpenConnectionAsync(CancellationToken.None);
            await cleanup.ExecuteAsync(RemoveFaultsSql);
            await using var tap = await system.Broker.CreateChannelAsync(cancellationToken: CancellationToken.None);
            await tap.QueueDeleteAsync(RetryTapQueue, cancellationToken: CancellationToken.None);
        }
    }

    private static Dictionary<string, string> ShortRetryEnvironment() =>
        ShortRetryDelays.Select((delay, i) => ($"Messaging__RetryDelays__{i}", delay.ToString("c", CultureInfo.InvariantCulture)))
            .ToDictionary(e => e.Item1, e => e.Item2, StringComparer.Ordinal);

    /// <summary>A well-formed event whose auth_error does not exist.</summary>
    private static OutgoingMessage UnknownError(string runId, int n)
    {
        var eventId = Guid.NewGuid();
        var payload = $$"""{"eventId":"{{eventId}}","authErrorId":{{9_000_000_000L + n}},"requestId":"bench-{{runId}}-unknown-{{n}}","stackHash":"{{new string('b', 64)}}","errorType":"TOKEN_EXPIRED","occurredAt":"2026-12-02T10:00:00Z","receivedAt":"2026-12-02T10:00:00Z"}""";
        return new OutgoingMessage(eventId.ToString(), AuthErrorTopology.RecordedEventType, Encoding.UTF8.GetBytes(payload));
    }

    /// <summary>Four kinds of poison, each with its own message id (the ledger's key).</summary>
    private static OutgoingMessage Malformed(string runId, int n)
    {
        var messageId = $"bench-{runId}-poison-{n}";
        return (n % 4) switch
        {
            0 => new OutgoingMessage(messageId, AuthErrorTopology.RecordedEventType, Encoding.UTF8.GetBytes($"not json {n}")),
            1 => new OutgoingMessage(messageId, AuthErrorTopology.RecordedEventType, Encoding.UTF8.GetBytes($$"""{"requestId":"r{{n}}"}""")),
            2 => new OutgoingMessage(messageId, "auth.error.deleted.v1", Encoding.UTF8.GetBytes($$"""{"eventId":"{{Guid.NewGuid()}}","authErrorId":1}""")),
            _ => new OutgoingMessage(messageId, AuthErrorTopology.RecordedEventType, Encoding.UTF8.GetBytes($$"""{"eventId":"{{Guid.NewGuid()}}","authErrorId":1}""")),
        };
    }
}

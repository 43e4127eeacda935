using System.Text.Json;
using AuthErrorOps.Bench.Commands;
using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Bench;

/// <summary>
/// The benchmark tool with tiny numbers against the shared servers (its own database and virtual
/// host per test; services started by the tool), so it cannot rot. Figures are not asserted
/// beyond being sane: the long runs are not tests.
/// </summary>
public sealed class BenchSmokeTests(InfrastructureFixture infrastructure) : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "autherrorops-bench-smoke-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly StringWriter _console = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ingest_measures_the_service_and_the_raw_two_insert_baseline()
    {
        var settings = new IngestBenchmark.Settings(new LoadShape(null, 4, TimeSpan.FromSeconds(1), 1), TimeSpan.Zero);
        var report = await IngestBenchmark.RunAsync(await TargetAsync(nameof(Ingest_measures_the_service_and_the_raw_two_insert_baseline)), settings, _console, Ct);

        AssertSane(report, "ingest");
        var accepted = report.Figure("single ingest, events accepted/s");
        Assert.True(accepted.Value > 0 && accepted.Baseline > 0 && accepted.Ratio > 0, Describe(report));
        Assert.True(report.Figure("latency p99").Value >= report.Figure("latency p50").Value, Describe(report));
    }

    [Fact]
    public async Task Relay_drains_an_exact_backlog_and_measures_raw_confirmed_publishing()
    {
        var settings = new RelayBenchmark.Settings(500, 1, 200, 4, TimeSpan.FromSeconds(30), WarmupRows: 200);
        var report = await RelayBenchmark.RunAsync(await TargetAsync(nameof(Relay_drains_an_exact_backlog_and_measures_raw_confirmed_publishing)), settings, _console, Ct);

        AssertSane(report, "relay");
        Assert.Equal(500, report.Figure("rows published").Value); // the 200 warm-up rows are not counted
        Assert.True(report.Figure("relay drain rate (first to last published_at)").Baseline > 0, Describe(report));
    }

    [Fact]
    public async Task Consumer_links_every_queued_event_once_and_measures_raw_consuming()
    {
        var settings = new ConsumerBenchmark.Settings(300, 1, 1_000, 2, 10, TimeSpan.FromSeconds(30));
        var report = await ConsumerBenchmark.RunAsync(await TargetAsync(nameof(Consumer_links_every_queued_event_once_and_measures_raw_consuming)), settings, _console, Ct);

        AssertSane(report, "consumer");
        Assert.Equal(300, report.Figure("events linked").Value);
        Assert.True(report.Figure("consumer drain rate (first to last linked_at)").Baseline > 0, Describe(report));
    }

    [Fact]
    public async Task End_to_end_links_every_accepted_event_exactly_once_with_its_latency()
    {
        var settings = new EndToEndBenchmark.Settings(100, TimeSpan.FromSeconds(3), 4, 1, 1, 1, TimeSpan.FromSeconds(30), TimeSpan.Zero);
        var report = await EndToEndBenchmark.RunAsync(await TargetAsync(nameof(End_to_end_links_every_accepted_event_exactly_once_with_its_latency)), settings, _console, Ct);

        AssertSane(report, "e2e");
        Assert.True(report.Figure("accepted").Value > 0, Describe(report));
        Assert.True(report.Figure("ingest→linked p50").Value > 0, Describe(report));
        // The host's speed through the run, sampled every 2 s: CPU figures of two runs compare only alongside it.
        var hostSpeed = report.Conditions!.HostSpeed;
        Assert.NotNull(hostSpeed);
        Assert.True(hostSpeed.Samples >= 1 && hostSpeed.MedianMs > 0 && hostSpeed.P10Ms <= hostSpeed.MedianMs && hostSpeed.MedianMs <= hostSpeed.P90Ms, hostSpeed.Describe());
        using var json = JsonDocument.Parse(File.ReadAllText(report.JsonPath!));
        Assert.True(json.RootElement.GetProperty("conditions").GetProperty("hostSpeed").GetProperty("medianMs").GetDouble() > 0);
        // Each second's CPU by process and the kernel's dirty pages, to tell what a latency wave was made of.
        var cores = report.Panels.Single(panel => panel.Title == "CPU by process").Series;
        Assert.True(cores.TryGetValue("postgres", out var postgres) && postgres.Count >= 2, string.Join(", ", cores.Keys));
        Assert.Contains("ingest-1", cores.Keys);
        Assert.All(cores.Values.SelectMany(series => series), point => Assert.InRange(point.Value, 0, Environment.ProcessorCount + 0.5));
        Assert.NotEmpty(report.Panels.Single(panel => panel.Title.StartsWith("Dirty page cache", StringComparison.Ordinal)).Series["dirty page cache"]);
    }

    [Fact]
    public async Task Faults_retry_and_dead_letter_without_losing_anything()
    {
        var settings = new FaultsBenchmark.Settings(200, 0.02, 0.02, 0.05, 0.01, TimeSpan.FromSeconds(45));
        var report = await FaultsBenchmark.RunAsync(await TargetAsync(nameof(Faults_retry_and_dead_letter_without_losing_anything)), settings, _console, Ct);

        AssertSane(report, "faults");
        Assert.Equal(198, report.Figure("linked").Value);
        Assert.InRange(report.Figure("retries (sent to a retry tier)").Value, 2 * 3, (2 * 3) + 10);
    }

    private async Task<BenchTarget> TargetAsync(string owner) => new()
    {
        AuthDb = await infrastructure.DatabaseAsync("bench" + owner),
        Messaging = await infrastructure.VirtualHostAsync("bench" + owner),
        OutputDirectory = _output,
    };

    private void AssertSane(BenchReport report, string command)
    {
        Assert.True(report.Passed, Describe(report));
        Assert.NotNull(report.Conditions);
        Assert.Contains(report.Processes, process => process.Name == "postgres" && process.CpuSeconds >= 0);
        Assert.True(File.Exists(report.JsonPath), Describe(report));
        Assert.Contains("<svg", File.ReadAllText(report.ChartPath!), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(report.JsonPath!));
        Assert.Equal(command, json.RootElement.GetProperty("command").GetString());
        // How Linux shares the cores between sessions changes every figure under load; a run records it.
        Assert.Contains(json.RootElement.GetProperty("conditions").GetProperty("scheduler").GetString(), new[] { "autogroup on", "autogroup off", "n/a" });
        // So does whether PostgreSQL's shared memory can sit on huge pages.
        Assert.Matches(@"^(n/a|none reserved|\d+ reserved, \d+ taken)$", json.RootElement.GetProperty("conditions").GetProperty("hugePages").GetString());
        Assert.True(json.RootElement.GetProperty("figures").GetArrayLength() > 0);
    }

    private string Describe(BenchReport report) =>
        $"{report.Command}: {string.Join("; ", report.Checks.Select(c => $"{(c.Passed ? "ok" : "FAIL")} {c.Name}: {c.Detail}"))}\n{_console}";

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }
}

using AuthErrorOps.Bench.Commands;
using AuthErrorOps.Bench.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>The benchmark tool pointed at a whole running AppHost through its dashboard, as the README shows.</summary>
[Collection(DistributedCollection.Name)]
public sealed class BenchAgainstAppHostTests : IDisposable
{
    private readonly DistributedAppFixture _fixture;
    private readonly string _output = Path.Combine(Path.GetTempPath(), "autherrorops-bench-apphost-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly StringWriter _console = new();

    public BenchAgainstAppHostTests(DistributedAppFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        fixture.ForwardResourceLogsTo(output);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_bench_finds_the_running_system_through_the_dashboard_and_measures_it_end_to_end()
    {
        var target = await RunningAppHost.DiscoverAsync(_fixture.App.Dashboard!.UiUrl, _fixture.App.BrowserToken, new BenchTarget { OutputDirectory = _output }, Ct);

        Assert.Equal(_fixture.App.CreateHttpClient("ingest").BaseAddress!.ToString().TrimEnd('/'), target.IngestUrl);
        Assert.Equal(_fixture.App.ApiKey, target.ApiKey);
        Assert.Equal(await _fixture.App.GetConnectionStringAsync("authdb"), target.AuthDb);
        Assert.Equal(await _fixture.App.GetConnectionStringAsync("messaging"), target.Messaging);
        Assert.Equal(["ingest-1", "relay-1", "relay-2", "consumer-1", "consumer-2"], target.ServiceProcesses.Select(process => process.Name));

        var settings = new EndToEndBenchmark.Settings(100, TimeSpan.FromSeconds(3), 4, 1, 1, 5, TimeSpan.FromSeconds(60), TimeSpan.Zero);
        var report = await EndToEndBenchmark.RunAsync(target, settings, _console, Ct);

        var checks = string.Join("; ", report.Checks.Select(c => $"{(c.Passed ? "ok" : "FAIL")} {c.Name}: {c.Detail}"));
        Assert.True(report.Passed, $"{checks}\n{_console}\nAppHost:\n{_fixture.ConsoleOutput}");
        Assert.True(report.Figure("accepted").Value > 0, checks);
        Assert.True(File.Exists(report.JsonPath), checks);
        Assert.Contains(report.Processes, process => process.Name == "ingest-1" && process.CpuSeconds > 0);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_with_what_to_pass_instead()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RunningAppHost.DiscoverAsync(_fixture.App.Dashboard!.UiUrl, "not-the-token", new BenchTarget(), Ct));

        Assert.Contains("401", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--token", failure.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }
}

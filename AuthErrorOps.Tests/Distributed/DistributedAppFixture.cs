using System.Net.Http.Headers;
using AuthErrorOps.AppHost;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.AppHost.Testing;
using AuthErrorOps.Dashboard.Resources;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>
/// The whole system, built from the AppHost's model with short retry tiers, two relays and two
/// consumers: one per test collection. Resource output goes to the output of the test running.
/// </summary>
public sealed class DistributedAppFixture : IAsyncLifetime
{
    private readonly StringWriter _console = new();
    private ITestOutputHelper? _output;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The dashboard's control and telemetry APIs, with the browser token.</summary>
    public HttpClient Dashboard { get; private set; } = null!;

    /// <summary>The AppHost's console (state changes, project warnings), for failure messages.</summary>
    public string ConsoleOutput => _console.ToString();

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplicationTestingBuilder.Create(_console, new Dictionary<string, string>
        {
            ["Messaging__RetryDelays__0"] = "00:00:00.500",
            ["Messaging__RetryDelays__1"] = "00:00:01",
        });
        builder.AddAuthErrorOps(relayReplicas: 2, consumerReplicas: 2);
        App = builder.Build();
        App.ResourceLogs.LineWritten += Forward;
        try
        {
            await App.StartAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"The distributed application did not start: {exception.Message}\nAppHost output:\n{ConsoleOutput}", exception);
        }

        // Commands wait for health checks; on a loaded machine a rolling restart takes a while.
        Dashboard = new HttpClient { BaseAddress = App.Dashboard!.UiUrl, Timeout = TimeSpan.FromMinutes(5) };
        Dashboard.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", App.BrowserToken);
    }

    /// <summary>Sends the resources' output to this test's output from now on (tests of a collection run one at a time).</summary>
    public void ForwardResourceLogsTo(ITestOutputHelper output) => _output = output;

    private void Forward(ConsoleLogLine line)
    {
        try
        {
            _output?.WriteLine($"[{line.Resource}] {line.Text}");
        }
        catch (InvalidOperationException)
        {
            // That test has finished; the next one will register its own output.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Dashboard?.Dispose();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DistributedCollection : ICollectionFixture<DistributedAppFixture>
{
    public const string Name = "distributed";
}

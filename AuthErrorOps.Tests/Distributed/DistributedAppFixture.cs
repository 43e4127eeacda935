using AuthErrorOps.AppHost;
using AuthErrorOps.AppHost.Hosting;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>The whole system, built from the AppHost's model with short retry tiers: one per test collection.</summary>
public sealed class DistributedAppFixture : IAsyncLifetime
{
    private readonly StringWriter _console = new();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The AppHost's console (state changes, project warnings), for failure messages.</summary>
    public string ConsoleOutput => _console.ToString();

    public async ValueTask InitializeAsync()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            StartTimeout = TimeSpan.FromSeconds(90),
            Console = TextWriter.Synchronized(_console),
            ProjectEnvironment = new(StringComparer.Ordinal)
            {
                ["Messaging__RetryDelays__0"] = "00:00:00.500",
                ["Messaging__RetryDelays__1"] = "00:00:01",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        });
        builder.AddAuthErrorOps(relayReplicas: 2, consumerReplicas: 2);
        App = builder.Build();
        try
        {
            await App.StartAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"The distributed application did not start: {exception.Message}\nAppHost output:\n{ConsoleOutput}", exception);
        }
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class DistributedCollection : ICollectionFixture<DistributedAppFixture>
{
    public const string Name = "distributed";
}

using System.Diagnostics;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.AppHost.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

public sealed class FailingResourceTests
{
    [Fact]
    public async Task A_service_that_cannot_start_fails_the_app_quickly_with_an_error_naming_it_and_leaves_nothing_running()
    {
        var console = new StringWriter();
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            StartTimeout = TimeSpan.FromSeconds(60),
            Console = TextWriter.Synchronized(console),
        });
        var postgres = builder.AddPostgres("postgres");
        var authdb = postgres.AddDatabase("authdb");
        var messaging = builder.AddRabbitMQ("messaging");
        var ingest = builder.AddProject("ingest", "AuthErrorOps.Ingest")
            .WithReference(authdb).WithReference(messaging)
            .WaitFor(authdb).WaitFor(messaging)
            .WithHttpHealthCheck("/health")
            // An invalid setting: the service refuses to start, naming the key.
            .WithEnvironment("Ingest__MaxBatchSize", "0");
        await using var app = builder.Build();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"failed after {clock.Elapsed}, not at once");
        Assert.Contains("'ingest'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ingest:MaxBatchSize", error.Message, StringComparison.Ordinal);
        Assert.Equal(ResourceState.FailedToStart, ingest.Resource.State);
        Assert.Equal(ResourceState.Running, authdb.Resource.State);

        var pids = ingest.Resource.Instances.Select(i => i.ProcessId)
            .Append(postgres.Resource.Server!.ProcessId).Append(messaging.Resource.Server!.ProcessId).ToList();
        await app.DisposeAsync();
        Assert.All(pids, pid => Assert.False(LocalProcesses.IsAlive(pid), $"process {pid} still alive after dispose"));
    }
}

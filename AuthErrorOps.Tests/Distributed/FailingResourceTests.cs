using System.Diagnostics;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.AppHost.Testing;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

public sealed class FailingResourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_service_that_cannot_start_fails_the_app_quickly_with_an_error_naming_it_and_leaves_nothing_running()
    {
        var console = new StringWriter();
        var builder = DistributedApplicationTestingBuilder.Create(console, startTimeout: TimeSpan.FromSeconds(60));
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
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(Ct));

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

    [Fact]
    public async Task Missing_PostgreSQL_binaries_fail_the_app_at_once_naming_the_resource_and_the_install_command()
    {
        var builder = DistributedApplicationTestingBuilder.Create(new StringWriter(), startTimeout: TimeSpan.FromSeconds(30), dashboard: false);
        var postgres = builder.AddPostgres("postgres").WithBinDirectory("/nonexistent/postgresql/bin");
        builder.AddProject("ingest", "AuthErrorOps.Ingest").WithReference(postgres.AddDatabase("authdb")).WaitFor(postgres);
        await using var app = builder.Build();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(Ct));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"failed after {clock.Elapsed}, not at once");
        Assert.Contains("'postgres' failed to start", error.Message, StringComparison.Ordinal);
        Assert.Contains(PostgresServer.InstallHint, error.Message, StringComparison.Ordinal);
        Assert.Equal(ResourceState.FailedToStart, postgres.Resource.State);
        Assert.Equal(ResourceState.Waiting, app.GetResource("ingest").State);
    }

    [Fact]
    public async Task A_missing_RabbitMQ_installation_fails_the_app_at_once_naming_the_resource_and_the_install_command()
    {
        var builder = DistributedApplicationTestingBuilder.Create(new StringWriter(), startTimeout: TimeSpan.FromSeconds(30), dashboard: false);
        var messaging = builder.AddRabbitMQ("messaging").WithInstallDirectory("/nonexistent/rabbitmq/bin");
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(Ct));

        Assert.Contains("'messaging' failed to start", error.Message, StringComparison.Ordinal);
        Assert.Contains(RabbitMqServer.InstallHint, error.Message, StringComparison.Ordinal);
        Assert.Equal(ResourceState.FailedToStart, messaging.Resource.State);
    }
}

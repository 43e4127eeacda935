using AuthErrorOps.AppHost.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>Faults driven through the control API while events flow: nothing lost, nothing double-counted.</summary>
[Collection(DistributedCollection.Name)]
public sealed class FaultTests
{
    private readonly DistributedAppFixture _fixture;

    public FaultTests(DistributedAppFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        fixture.ForwardResourceLogsTo(output);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restarting_the_relay_and_killing_a_consumer_mid_stream_loses_and_double_counts_nothing()
    {
        var dashboard = _fixture.Dashboard;
        var load = new PipelineLoad(_fixture.App, count: 2_000, variants: 20);
        var faults = Task.CompletedTask;
        var killedPid = 0;

        await load.PostOneByOneAsync(parallelism: 8, afterEach: sent =>
        {
            if (sent == 500)
            {
                faults = InjectFaultsAsync();
            }

            return Task.CompletedTask;
        });
        await faults;
        await load.AssertEachCountedOnceAsync(TimeSpan.FromSeconds(120));

        Assert.False(LocalProcesses.IsAlive(killedPid), $"the killed consumer process {killedPid} is still alive");
        var consumer = await ControlApi.InstanceAsync(dashboard, "consumer-1", Ct);
        Assert.NotEqual(killedPid, consumer.ProcessId);
        Assert.Equal("Running", consumer.State);

        async Task InjectFaultsAsync()
        {
            var relayPids = (await ControlApi.ResourcesAsync(dashboard, Ct)).Where(r => r.Name == "relay").Select(r => r.ProcessId).ToList();
            await ControlApi.CommandOkAsync(dashboard, "relay", "restart", Ct);
            var restarted = (await ControlApi.ResourcesAsync(dashboard, Ct)).Where(r => r.Name == "relay").ToList();
            Assert.All(restarted, relay => Assert.Equal("Running", relay.State));
            Assert.Empty(restarted.Select(r => r.ProcessId).Intersect(relayPids));

            killedPid = (await ControlApi.InstanceAsync(dashboard, "consumer-1", Ct)).ProcessId!.Value;
            LocalProcesses.Signal(killedPid, LocalProcesses.SigKill);
            await ControlApi.WaitForStateAsync(dashboard, "consumer-1", "Exited", TimeSpan.FromSeconds(10), Ct);
            await ControlApi.CommandOkAsync(dashboard, "consumer-1", "start", Ct);
            await ControlApi.WaitForStateAsync(dashboard, "consumer-1", "Running", TimeSpan.FromSeconds(30), Ct);
        }
    }

    [Fact]
    public async Task A_stopped_replica_is_Exited_and_start_brings_it_back_on_the_same_address()
    {
        var before = await ControlApi.InstanceAsync(_fixture.Dashboard, "consumer-2", Ct);

        await ControlApi.CommandOkAsync(_fixture.Dashboard, "consumer-2", "stop", Ct);
        var stopped = await ControlApi.InstanceAsync(_fixture.Dashboard, "consumer-2", Ct);
        Assert.Equal("Exited", stopped.State);
        Assert.Null(stopped.Health);
        Assert.False(LocalProcesses.IsAlive(before.ProcessId!.Value));

        await ControlApi.CommandOkAsync(_fixture.Dashboard, "consumer-2", "start", Ct);
        var started = await ControlApi.InstanceAsync(_fixture.Dashboard, "consumer-2", Ct);
        Assert.Equal("Running", started.State);
        Assert.Equal(before.Endpoints.Single().Url, started.Endpoints.Single().Url);
        Assert.NotEqual(before.ProcessId, started.ProcessId);
    }
}

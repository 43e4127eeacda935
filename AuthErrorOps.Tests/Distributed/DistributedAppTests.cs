using System.Net;
using AuthErrorOps.AppHost.Hosting;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class DistributedAppTests
{
    private readonly DistributedAppFixture _fixture;

    public DistributedAppTests(DistributedAppFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        fixture.ForwardResourceLogsTo(output);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_resource_is_running_and_healthy_with_the_replicas_asked_for()
    {
        foreach (var name in new[] { "postgres", "authdb", "messaging", "ingest", "relay", "consumer" })
        {
            await _fixture.App.WaitForResourceHealthyAsync(name, TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(ResourceState.Running, _fixture.App.GetResource(name).State);
        }

        Assert.Equal(2, ((ProjectResource)_fixture.App.GetResource("relay")).Instances.Count);
        Assert.Equal(2, ((ProjectResource)_fixture.App.GetResource("consumer")).Instances.Count);
        using var health = await _fixture.App.CreateHttpClient("ingest").GetAsync("/health", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.StartsWith("Host=127.0.0.1;", await _fixture.App.GetConnectionStringAsync("authdb"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_control_api_lists_every_instance_running_with_its_endpoint_process_and_masked_secrets()
    {
        var resources = await ControlApi.ResourcesAsync(_fixture.Dashboard, Ct);

        Assert.Equal(
            ["postgres", "authdb", "messaging", "ingest-1", "relay-1", "relay-2", "consumer-1", "consumer-2"],
            resources.Select(resource => resource.InstanceName));
        Assert.All(resources, resource => Assert.Equal("Running", resource.State));
        var ingest = resources.Single(resource => resource.InstanceName == "ingest-1");
        Assert.Equal("Healthy", ingest.Health);
        Assert.True(ingest.ProcessId > 0);
        Assert.Equal(_fixture.App.CreateHttpClient("ingest").BaseAddress!.ToString().TrimEnd('/'), ingest.Endpoints.Single().Url);
        var environment = ingest.Environment.ToDictionary(variable => variable.Name);
        Assert.Equal("ingest", environment["OTEL_SERVICE_NAME"].Value);
        Assert.Equal("service.instance.id=ingest-1", environment["OTEL_RESOURCE_ATTRIBUTES"].Value);
        Assert.Equal(_fixture.App.Dashboard!.OtlpGrpcUrl.ToString().TrimEnd('/'), environment["OTEL_EXPORTER_OTLP_ENDPOINT"].Value);
        Assert.True(environment["ConnectionStrings__authdb"].IsSecret);
        Assert.True(environment["OTEL_EXPORTER_OTLP_HEADERS"].IsSecret);
        Assert.False(environment["OTEL_SERVICE_NAME"].IsSecret);
        var servers = resources.Where(resource => resource.Name is "postgres" or "messaging").SelectMany(resource => resource.Environment).ToList();
        Assert.Contains(servers, variable => variable.Name == "RABBITMQ_DEFAULT_PASS");
        Assert.All(servers.Where(variable => variable.Name.Contains("PASS", StringComparison.Ordinal)), variable => Assert.True(variable.IsSecret, variable.Name));
    }

    [Fact]
    public async Task The_control_api_answers_404_for_an_unknown_resource_and_409_for_a_command_that_does_not_fit_the_state()
    {
        Assert.Equal(HttpStatusCode.NotFound, await ControlApi.CommandAsync(_fixture.Dashboard, "no-such-resource", "restart", Ct));
        Assert.Equal(HttpStatusCode.Conflict, await ControlApi.CommandAsync(_fixture.Dashboard, "consumer-1", "start", Ct));
        Assert.Equal(HttpStatusCode.Conflict, await ControlApi.CommandAsync(_fixture.Dashboard, "authdb", "restart", Ct));
    }

    [Fact]
    public async Task A_thousand_events_over_thirty_variants_with_duplicate_requests_are_each_counted_once()
    {
        var load = new PipelineLoad(_fixture.App, count: 1_000, variants: 30);

        await load.PostOneByOneAsync();

        await load.AssertEachCountedOnceAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Five_thousand_events_on_two_relays_and_two_consumers_are_each_counted_once()
    {
        var load = new PipelineLoad(_fixture.App, count: 5_000, variants: 50);

        await load.PostInBatchesAsync();

        await load.AssertEachCountedOnceAsync(TimeSpan.FromSeconds(120));
    }
}

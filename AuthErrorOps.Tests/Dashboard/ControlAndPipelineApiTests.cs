using System.Net;
using System.Text.Json;
using AuthErrorOps.Dashboard.Resources;
using Xunit;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>docs/dashboard.md "Control API" over a fake AppHost, and the pipeline page before Ingest runs.</summary>
public sealed class ControlAndPipelineApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Resources_are_listed_in_camel_case_with_endpoints_and_environment()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var resources = (await dashboard.GetJsonAsync("api/resources")).EnumerateArray().ToList();

        Assert.Equal(["postgres", "ingest-1", "consumer-1", "consumer-2"], resources.Select(r => r.GetProperty("instanceName").GetString()));
        var ingest = resources[1];
        Assert.Equal("ingest", ingest.GetProperty("name").GetString());
        Assert.Equal("Running", ingest.GetProperty("state").GetString());
        Assert.Equal("Healthy", ingest.GetProperty("health").GetString());
        Assert.Equal("http://localhost:41234", ingest.GetProperty("endpoints")[0].GetProperty("url").GetString());
        Assert.Equal(1234, ingest.GetProperty("processId").GetInt32());
        var variable = ingest.GetProperty("environment")[0];
        Assert.Equal("ConnectionStrings__authdb", variable.GetProperty("name").GetString());
        Assert.True(variable.GetProperty("isSecret").GetBoolean());
        Assert.Equal(JsonValueKind.Null, resources[3].GetProperty("health").ValueKind);
    }

    [Fact]
    public async Task Commands_answer_200_404_or_409_as_the_apphost_decides()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();

        using var restarted = await dashboard.Api.PostAsync("api/resources/consumer-2/restart", null, Ct);
        Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
        var body = JsonDocument.Parse(await restarted.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(("consumer-2", "restart", "Exited"),
            (body.GetProperty("name").GetString(), body.GetProperty("command").GetString(), body.GetProperty("state").GetString()));
        Assert.Equal(("consumer-2", ResourceCommand.Restart), Assert.Single(dashboard.Resources.Commands));

        using var unknown = await dashboard.Api.PostAsync("api/resources/nosuch/stop", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        using var unknownCommand = await dashboard.Api.PostAsync("api/resources/ingest/explode", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownCommand.StatusCode);

        using var conflict = await dashboard.Api.PostAsync("api/resources/ingest/start", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("already Running", await conflict.Content.ReadAsStringAsync(Ct));
        Assert.Single(dashboard.Resources.Commands);
    }

    [Fact]
    public async Task Console_logs_tail_after_a_sequence_per_instance_or_resource()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var at = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
        dashboard.Resources.ConsoleLines.AddRange(
        [
            new ConsoleLogLine(1, at, "ingest-1", "Now listening", false),
            new ConsoleLogLine(2, at, "consumer-1", "Consuming", false),
            new ConsoleLogLine(3, at, "ingest-1", "fail: boom", true),
        ]);

        var first = await dashboard.GetJsonAsync("api/console-logs?resource=ingest&limit=1");
        Assert.Equal("Now listening", Assert.Single(first.GetProperty("items").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(1, first.GetProperty("last").GetInt64());

        var next = await dashboard.GetJsonAsync("api/console-logs?resource=ingest-1&after=1");
        var line = Assert.Single(next.GetProperty("items").EnumerateArray());
        Assert.Equal((3, "ingest-1", true), (line.GetProperty("sequence").GetInt64(), line.GetProperty("resource").GetString(), line.GetProperty("isError").GetBoolean()));
        Assert.Equal(3, next.GetProperty("last").GetInt64());

        var none = await dashboard.GetJsonAsync("api/console-logs?after=3");
        Assert.Equal(0, none.GetProperty("items").GetArrayLength());
        Assert.Equal(3, none.GetProperty("last").GetInt64());
        Assert.Equal(3, (await dashboard.GetJsonAsync("api/console-logs")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Before_ingest_runs_the_pipeline_parts_are_null_and_named_in_errors()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var pipeline = await dashboard.GetJsonAsync("api/pipeline");

        foreach (var part in new[] { "outbox", "queues", "topClusters", "deadLetters" })
        {
            Assert.Equal(JsonValueKind.Null, pipeline.GetProperty(part).ValueKind);
            Assert.False(string.IsNullOrEmpty(pipeline.GetProperty("errors").GetProperty(part).GetString()), $"errors.{part} is empty.");
        }

        Assert.Equal(JsonValueKind.Null, pipeline.GetProperty("rates").GetProperty("acceptedPerSecond").ValueKind);

        using var replay = await dashboard.Api.PostAsync("api/pipeline/dead-letters/7/replay", null, Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, replay.StatusCode);
    }
}

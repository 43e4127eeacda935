using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Tests.Infrastructure;
using AuthErrorOps.Tests.Ingest;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Consumer;

/// <summary>Ingest, relay and consumer together in-process: one trace runs from the HTTP request to the cluster link.</summary>
public sealed class PipelineTraceTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task An_ingested_error_is_linked_in_the_same_trace_as_its_http_request()
    {
        const string traceId = "5b8efff798038103d269b633813fc60c";
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("AuthErrorOps", StringComparison.Ordinal) || source.Name.StartsWith("RabbitMQ.Client", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId.ToHexString() == traceId)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var owner = nameof(PipelineTraceTests);
        var retry = new Dictionary<string, string?> { ["Messaging:RetryDelays:0"] = ConsumerHost.ShortRetryTiers[0], ["Messaging:RetryDelays:1"] = ConsumerHost.ShortRetryTiers[1] };
        await using var ingest = await IngestHost.StartAsync(infrastructure, owner, retry);
        var amqpUri = await infrastructure.VirtualHostAsync(owner);
        await using var relay = RelayHost.Start(RelayHost.Settings(ingest.ConnectionString, amqpUri, retry));
        await using var consumer = ConsumerHost.Start(ConsumerHost.Settings(ingest.ConnectionString, amqpUri));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth-errors") { Content = JsonContent.Create(AuthErrorSamples.Valid()) };
        request.Headers.Add("traceparent", $"00-{traceId}-a1b2c3d4e5f60718-01");
        using var response = await ingest.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var authErrorId = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("authErrorId").GetInt64();

        await Eventually.HoldsAsync("the error LINKED", async () =>
        {
            await using var db = await ingest.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
            return await db.ExecuteScalarAsync<string>("SELECT status FROM auth_error WHERE id = @authErrorId", new { authErrorId }) == "LINKED";
        }, TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync("the consumer span recorded", () => Task.FromResult(spans.Any(s => s.OperationName == "auth error process")), TimeSpan.FromSeconds(5));

        var publish = Assert.Single(spans, s => s.OperationName == "outbox publish");
        var process = Assert.Single(spans, s => s.OperationName == "auth error process");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        // The consumer's span descends from the relay's publish span, through RabbitMQ.Client's publish and deliver spans.
        var byId = spans.ToDictionary(s => s.SpanId);
        var ancestors = new List<Activity>();
        for (var current = process; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            ancestors.Add(parent);
        }

        Assert.Contains(publish, ancestors);
    }
}

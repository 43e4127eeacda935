using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Xunit;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>
/// The real OpenTelemetry .NET exporter sends spans, logs and metrics over gRPC and over HTTP/protobuf; the JSON
/// API shows what was stored. Each test uses its own service name, so tests share nothing.
/// </summary>
public sealed class OtlpReceiverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<OtlpExportProtocol> Protocols => [OtlpExportProtocol.Grpc, OtlpExportProtocol.HttpProtobuf];

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Spans_are_stored_by_trace_with_service_instance_parent_status_and_attributes(OtlpExportProtocol protocol)
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var service = Unique("orders");
        using var source = new ActivitySource(service);
        string traceId, rootId;
        using (var tracing = TracerProvider(dashboard, protocol, service, "orders-1", source.Name))
        {
            using (var root = source.StartActivity("POST /orders", ActivityKind.Server)!)
            {
                traceId = root.TraceId.ToHexString();
                rootId = root.SpanId.ToHexString();
                root.SetTag("http.request.method", "POST");
                using var child = source.StartActivity("INSERT orders", ActivityKind.Client)!;
                child.SetTag("db.system", "postgresql");
                child.AddEvent(new ActivityEvent("retrying"));
                child.SetStatus(ActivityStatusCode.Error, "deadlock detected");
            }

            Assert.True(tracing.ForceFlush(5_000), "The exporter could not flush the spans.");
        }

        var trace = await dashboard.GetJsonAsync($"api/telemetry/traces/{traceId}");
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(2, spans.Count);
        var rootSpan = spans.Single(s => s.GetProperty("name").GetString() == "POST /orders");
        var childSpan = spans.Single(s => s.GetProperty("name").GetString() == "INSERT orders");
        Assert.Equal(rootId, rootSpan.GetProperty("spanId").GetString());
        Assert.Equal(JsonValueKind.Null, rootSpan.GetProperty("parentSpanId").ValueKind);
        Assert.Equal(rootId, childSpan.GetProperty("parentSpanId").GetString());
        Assert.Equal("Server", rootSpan.GetProperty("kind").GetString());
        Assert.Equal("Client", childSpan.GetProperty("kind").GetString());
        Assert.Equal(service, childSpan.GetProperty("serviceName").GetString());
        Assert.Equal("orders-1", childSpan.GetProperty("instanceId").GetString());
        Assert.Equal(service, childSpan.GetProperty("scope").GetString());
        Assert.Equal("Error", childSpan.GetProperty("status").GetString());
        Assert.Equal("deadlock detected", childSpan.GetProperty("statusMessage").GetString());
        Assert.Equal("Unset", rootSpan.GetProperty("status").GetString());
        Assert.Equal("postgresql", childSpan.GetProperty("attributes").GetProperty("db.system").GetString());
        Assert.Equal("POST", rootSpan.GetProperty("attributes").GetProperty("http.request.method").GetString());
        Assert.Equal("retrying", childSpan.GetProperty("events")[0].GetProperty("name").GetString());
        Assert.True(rootSpan.GetProperty("durationMs").GetDouble() >= childSpan.GetProperty("durationMs").GetDouble());

        var list = await dashboard.GetJsonAsync($"api/telemetry/traces?resource={service}&hasError=true&attribute=db.system=postgresql&text=retry");
        var summary = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(traceId, summary.GetProperty("traceId").GetString());
        Assert.Equal("POST /orders", summary.GetProperty("rootName").GetString());
        Assert.Equal(service, summary.GetProperty("rootService").GetString());
        Assert.Equal(2, summary.GetProperty("spanCount").GetInt32());
        Assert.Equal(1, summary.GetProperty("errorCount").GetInt32());
        Assert.Equal(1, list.GetProperty("total").GetInt32());

        var none = await dashboard.GetJsonAsync($"api/telemetry/traces?resource={service}&hasError=false");
        Assert.Equal(0, none.GetProperty("total").GetInt32());

        var resource = (await dashboard.GetJsonAsync("api/telemetry/resources")).GetProperty("items").EnumerateArray()
            .Single(r => r.GetProperty("serviceName").GetString() == service);
        Assert.Equal(["orders-1"], resource.GetProperty("instanceIds").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(2, resource.GetProperty("spanCount").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Logs_are_stored_with_body_severity_category_attributes_and_trace_id(OtlpExportProtocol protocol)
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var service = Unique("relay");
        using var source = new ActivitySource(service);
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(source.Name).Build();
        string traceId;
        using (var logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(otel =>
        {
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: "relay-2"));
            otel.IncludeFormattedMessage = true;
            otel.AddOtlpExporter(exporter => dashboard.ConfigureExporter(exporter, protocol, "logs"));
        })))
        {
            var logger = logging.CreateLogger("AuthErrorOps.Relay.Publisher");
            using (var activity = source.StartActivity("publish")!)
            {
                traceId = activity.TraceId.ToHexString();
                logger.LogWarning("Publish of {OutboxId} not confirmed", 42);
            }

            logger.LogInformation("Relay idle");
        } // disposing the factory flushes the exporter

        var warnings = await dashboard.EventuallyAsync($"the warning of {service}", $"api/telemetry/logs?resource={service}&level=Warning",
            json => json.GetProperty("total").GetInt32() > 0);
        var log = Assert.Single(warnings.GetProperty("items").EnumerateArray());
        Assert.Equal("Publish of 42 not confirmed", log.GetProperty("message").GetString());
        Assert.Equal("Warning", log.GetProperty("severity").GetString());
        Assert.Equal(13, log.GetProperty("severityNumber").GetInt32());
        Assert.Equal("AuthErrorOps.Relay.Publisher", log.GetProperty("category").GetString());
        Assert.Equal(service, log.GetProperty("serviceName").GetString());
        Assert.Equal("relay-2", log.GetProperty("instanceId").GetString());
        Assert.Equal(traceId, log.GetProperty("traceId").GetString());
        Assert.Equal("42", log.GetProperty("attributes").GetProperty("OutboxId").GetString());

        var all = await dashboard.GetJsonAsync($"api/telemetry/logs?resource=relay-2");
        Assert.Equal(["Relay idle", "Publish of 42 not confirmed"], all.GetProperty("items").EnumerateArray().Select(l => l.GetProperty("message").GetString()));
        var byTrace = await dashboard.GetJsonAsync($"api/telemetry/logs?traceId={traceId}&text=CONFIRMED");
        Assert.Equal(1, byTrace.GetProperty("total").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Sums_gauges_and_histograms_are_stored_per_series_with_percentiles(OtlpExportProtocol protocol)
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var service = Unique("consumer");
        using var meter = new Meter(service);
        var consumed = meter.CreateCounter<long>("autherrorops.consumer.consumed");
        var duration = meter.CreateHistogram<double>("test.duration", unit: "ms", description: "Handling time");
        meter.CreateObservableGauge("test.depth", () => 7);
        using (var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: "consumer-1"))
            .AddMeter(meter.Name)
            .AddOtlpExporter((exporter, reader) => dashboard.ConfigureExporter(exporter, protocol, "metrics"))
            .Build())
        {
            consumed.Add(3, new KeyValuePair<string, object?>("outcome", "linked"));
            consumed.Add(2, new KeyValuePair<string, object?>("outcome", "linked"));
            consumed.Add(1, new KeyValuePair<string, object?>("outcome", "duplicate"));
            for (var value = 1; value <= 100; value++)
            {
                duration.Record(value);
            }

            Assert.True(metrics.ForceFlush(5_000), "The exporter could not flush the metrics.");
            await AssertStoredMetricsAsync(dashboard, service); // before disposing: shutdown exports once more
        }
    }

    private static async Task AssertStoredMetricsAsync(DashboardUnderTest dashboard, string service)
    {
        var instruments = (await dashboard.GetJsonAsync($"api/telemetry/metrics?resource={service}")).GetProperty("items").EnumerateArray().ToList();
        var counter = instruments.Single(i => i.GetProperty("name").GetString() == "autherrorops.consumer.consumed");
        Assert.Equal("Sum", counter.GetProperty("type").GetString());
        Assert.True(counter.GetProperty("isMonotonic").GetBoolean());
        Assert.Equal(service, counter.GetProperty("meter").GetString());
        var histogram = instruments.Single(i => i.GetProperty("name").GetString() == "test.duration");
        Assert.Equal(("Histogram", "ms", "Handling time"),
            (histogram.GetProperty("type").GetString(), histogram.GetProperty("unit").GetString(), histogram.GetProperty("description").GetString()));
        Assert.Equal("Gauge", instruments.Single(i => i.GetProperty("name").GetString() == "test.depth").GetProperty("type").GetString());

        var sums = await dashboard.GetJsonAsync($"api/telemetry/metrics/{service}/autherrorops.consumer.consumed?minutes=5");
        var linked = sums.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("attributes").GetProperty("outcome").GetString() == "linked");
        Assert.Equal("consumer-1", linked.GetProperty("attributes").GetProperty("service.instance.id").GetString());
        Assert.Equal(5, Assert.Single(linked.GetProperty("points").EnumerateArray()).GetProperty("value").GetDouble());
        Assert.Equal(2, sums.GetProperty("series").GetArrayLength());

        var durations = await dashboard.GetJsonAsync($"api/telemetry/metrics/{service}/test.duration");
        var point = Assert.Single(Assert.Single(durations.GetProperty("series").EnumerateArray()).GetProperty("points").EnumerateArray());
        Assert.Equal(100, point.GetProperty("count").GetInt64());
        Assert.Equal(5050, point.GetProperty("sum").GetDouble());
        Assert.InRange(point.GetProperty("p50").GetDouble(), 45, 55);
        Assert.InRange(point.GetProperty("p95").GetDouble(), 90, 100);
        Assert.InRange(point.GetProperty("p99").GetDouble(), 95, 100);

        var gauge = await dashboard.GetJsonAsync($"api/telemetry/metrics/{service}/test.depth");
        Assert.Equal(7, gauge.GetProperty("series")[0].GetProperty("points")[0].GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Unknown_trace_and_metric_are_404_and_an_unknown_level_is_400()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await dashboard.Api.GetAsync("api/telemetry/traces/0123456789abcdef0123456789abcdef", Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await dashboard.Api.GetAsync("api/telemetry/metrics/nobody/nothing", Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await dashboard.Api.GetAsync("api/telemetry/logs?level=Loud", Ct)).StatusCode);
    }

    internal static TracerProvider TracerProvider(
        DashboardUnderTest dashboard, OtlpExportProtocol protocol, string service, string instance, string source, string? apiKey = null) =>
        Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: instance))
            .AddSource(source)
            .AddOtlpExporter(exporter => dashboard.ConfigureExporter(exporter, protocol, "traces", apiKey))
            .Build();

    internal static string Unique(string service) => $"{service}-{Guid.NewGuid().ToString("N")[..8]}";
}

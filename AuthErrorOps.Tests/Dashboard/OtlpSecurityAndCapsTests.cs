using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Trace;
using AuthErrorOps.Dashboard.Otlp.Proto.Common;
using AuthErrorOps.Dashboard.Otlp.Proto.Trace;
using AuthErrorOps.Dashboard.Telemetry;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Xunit;
using ProtoResource = AuthErrorOps.Dashboard.Otlp.Proto.Resource.Resource;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>The OTLP key is enforced on both transports before anything is stored; the caps hold and keep the newest.</summary>
public sealed class OtlpSecurityAndCapsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>No header at all (""), or a wrong key.</summary>
    public static TheoryData<string> WrongKeys => ["", "wrong-key"];

    [Theory]
    [MemberData(nameof(WrongKeys))]
    public async Task Grpc_export_without_the_right_key_is_unauthenticated_and_nothing_is_stored(string key)
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        using var http = new HttpClient();

        var (status, _) = await SendGrpcAsync(http, dashboard, key);
        Assert.Equal("16", status); // Unauthenticated
        Assert.Equal(0, dashboard.Host.Telemetry.SpanCount);

        var (accepted, _) = await SendGrpcAsync(http, dashboard, dashboard.Options.OtlpApiKey);
        Assert.Equal("0", accepted);
        Assert.Equal(1, dashboard.Host.Telemetry.SpanCount);
    }

    [Theory]
    [MemberData(nameof(WrongKeys))]
    public async Task Http_export_without_the_right_key_is_401_and_nothing_is_stored(string key)
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        using var http = new HttpClient();

        using var refused = await http.SendAsync(HttpExport(dashboard, key), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(0, dashboard.Host.Telemetry.SpanCount);

        using var accepted = await http.SendAsync(HttpExport(dashboard, dashboard.Options.OtlpApiKey), Ct);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("application/x-protobuf", accepted.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, dashboard.Host.Telemetry.SpanCount);
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task The_real_exporter_with_a_wrong_key_stores_nothing(OtlpExportProtocol protocol)
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        var service = OtlpReceiverTests.Unique("intruder");
        using var source = new ActivitySource(service);
        using (var tracing = OtlpReceiverTests.TracerProvider(dashboard, protocol, service, "intruder-1", source.Name, apiKey: "wrong-key"))
        {
            source.StartActivity("sneak")?.Dispose();
            Assert.True(tracing.ForceFlush(5_000), "The exporter did not finish its (refused) export.");
        }

        Assert.Equal(0, dashboard.Host.Telemetry.SpanCount);
        Assert.DoesNotContain(dashboard.Host.Telemetry.GetResources(), r => r.ServiceName == service);
    }

    [Fact]
    public async Task Otlp_routes_answer_only_on_their_own_port()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync();
        using var http = new HttpClient();

        var onUiPort = HttpExport(dashboard, dashboard.Options.OtlpApiKey);
        onUiPort.RequestUri = new Uri(dashboard.Host.UiUrl, "v1/traces");
        onUiPort.Headers.Authorization = new AuthenticationHeaderValue("Bearer", dashboard.Options.BrowserToken);
        using var refused = await http.SendAsync(onUiPort, Ct);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        using var apiOnOtlpPort = await http.GetAsync(new Uri(dashboard.Host.OtlpHttpUrl, "api/resources"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, apiOnOtlpPort.StatusCode);
        Assert.Equal(0, dashboard.Host.Telemetry.SpanCount);
    }

    [Fact]
    public async Task Span_and_trace_caps_hold_and_keep_the_newest()
    {
        await using var spanCapped = await DashboardUnderTest.StartAsync(new TelemetryLimits { MaxSpans = 20, MaxTraces = 1_000 });
        await using var traceCapped = await DashboardUnderTest.StartAsync(new TelemetryLimits { MaxSpans = 1_000, MaxTraces = 10 });
        foreach (var dashboard in new[] { spanCapped, traceCapped })
        {
            var service = OtlpReceiverTests.Unique("busy");
            using var source = new ActivitySource(service);
            using var tracing = OtlpReceiverTests.TracerProvider(dashboard, OtlpExportProtocol.Grpc, service, "busy-1", source.Name);
            for (var i = 0; i < 30; i++)
            {
                source.StartActivity($"op-{i:00}")?.Dispose();
            }

            Assert.True(tracing.ForceFlush(5_000), "The exporter could not flush the spans.");
        }

        Assert.Equal(20, spanCapped.Host.Telemetry.SpanCount);
        Assert.Equal(20, spanCapped.Host.Telemetry.TraceCount);
        Assert.Equal(10, traceCapped.Host.Telemetry.TraceCount);
        Assert.Equal(10, traceCapped.Host.Telemetry.SpanCount);

        var kept = await spanCapped.GetJsonAsync("api/telemetry/traces?limit=1000");
        Assert.Equal(20, kept.GetProperty("total").GetInt32());
        Assert.Equal(
            Enumerable.Range(10, 20).Select(i => $"op-{i:00}").Reverse(),
            kept.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("rootName").GetString()));
        var newest = await traceCapped.GetJsonAsync("api/telemetry/traces?limit=1000");
        Assert.Equal(
            Enumerable.Range(20, 10).Select(i => $"op-{i:00}").Reverse(),
            newest.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("rootName").GetString()));
        Assert.Equal(20, spanCapped.Host.Telemetry.GetResources().Single().SpanCount);
    }

    [Fact]
    public async Task A_trace_larger_than_the_span_cap_keeps_its_newest_spans()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync(new TelemetryLimits { MaxSpans = 5 });
        var service = OtlpReceiverTests.Unique("long");
        using var source = new ActivitySource(service);
        string traceId;
        using (var tracing = OtlpReceiverTests.TracerProvider(dashboard, OtlpExportProtocol.Grpc, service, "long-1", source.Name))
        {
            using (var root = source.StartActivity("root")!)
            {
                traceId = root.TraceId.ToHexString();
                for (var i = 0; i < 7; i++)
                {
                    source.StartActivity($"child-{i}")?.Dispose(); // exported before the root, which ends last
                }
            }

            Assert.True(tracing.ForceFlush(5_000), "The exporter could not flush the spans.");
        }

        var trace = await dashboard.GetJsonAsync($"api/telemetry/traces/{traceId}");
        Assert.Equal(["root", "child-3", "child-4", "child-5", "child-6"], trace.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(5, dashboard.Host.Telemetry.SpanCount);
        Assert.Equal("root", (await dashboard.GetJsonAsync("api/telemetry/traces")).GetProperty("items")[0].GetProperty("rootName").GetString());
    }

    [Fact]
    public async Task Log_and_metric_point_caps_hold_and_keep_the_newest()
    {
        await using var dashboard = await DashboardUnderTest.StartAsync(new TelemetryLimits { MaxLogs = 15, MaxMetricPoints = 5 });
        var service = OtlpReceiverTests.Unique("chatty");
        using (var logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(otel =>
        {
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: "chatty-1"));
            otel.IncludeFormattedMessage = true;
            otel.AddOtlpExporter(exporter => dashboard.ConfigureExporter(exporter, OtlpExportProtocol.HttpProtobuf, "logs"));
        })))
        {
            var logger = logging.CreateLogger("Chatty");
            for (var i = 0; i < 25; i++)
            {
                logger.LogInformation("line {Number}", i);
            }
        }

        using var meter = new System.Diagnostics.Metrics.Meter(service);
        var counter = meter.CreateCounter<long>("chatty.lines");
        using (var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: "chatty-1"))
            .AddMeter(meter.Name)
            .AddOtlpExporter((exporter, _) => dashboard.ConfigureExporter(exporter, OtlpExportProtocol.Grpc, "metrics"))
            .Build())
        {
            for (var i = 1; i <= 8; i++)
            {
                counter.Add(1);
                Assert.True(metrics.ForceFlush(5_000), $"The exporter could not flush metric export {i}.");
            }

            var points = (await dashboard.GetJsonAsync($"api/telemetry/metrics/{service}/chatty.lines")).GetProperty("series")[0].GetProperty("points");
            Assert.Equal([4.0, 5, 6, 7, 8], points.EnumerateArray().Select(p => p.GetProperty("value").GetDouble()));
        }

        var logs = await dashboard.EventuallyAsync("15 logs of the 25 sent", $"api/telemetry/logs?resource={service}&limit=100",
            json => json.GetProperty("total").GetInt32() == 15);
        Assert.Equal(
            Enumerable.Range(10, 15).Select(i => $"line {i}").Reverse(),
            logs.GetProperty("items").EnumerateArray().Select(l => l.GetProperty("message").GetString()));
        Assert.Equal(15, dashboard.Host.Telemetry.LogCount);
    }

    private static async Task<(string? Status, string? Message)> SendGrpcAsync(HttpClient http, DashboardUnderTest dashboard, string key)
    {
        var payload = TraceRequest().ToByteArray();
        var framed = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(framed, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(dashboard.Host.OtlpGrpcUrl, "opentelemetry.proto.collector.trace.v1.TraceService/Export"))
        {
            Content = new ByteArrayContent(framed),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (key.Length > 0)
        {
            request.Headers.Add("x-otlp-api-key", key);
        }

        using var response = await http.SendAsync(request, Ct);
        await response.Content.ReadAsByteArrayAsync(Ct);
        return (Header(response, "grpc-status"), Header(response, "grpc-message"));

        static string? Header(HttpResponseMessage response, string name) =>
            response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.First()
            : response.Headers.TryGetValues(name, out var header) ? header.First()
            : null;
    }

    private static HttpRequestMessage HttpExport(DashboardUnderTest dashboard, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(dashboard.Host.OtlpHttpUrl, "v1/traces"))
        {
            Content = new ByteArrayContent(TraceRequest().ToByteArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (key.Length > 0)
        {
            request.Headers.Add("x-otlp-api-key", key);
        }

        return request;
    }

    /// <summary>One span, built from the dashboard's own messages (what an exporter would put on the wire).</summary>
    private static ExportTraceServiceRequest TraceRequest()
    {
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        return new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new ProtoResource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "raw" } } } },
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Spans =
                            {
                                new Span
                                {
                                    TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
                                    SpanId = ByteString.CopyFrom(BitConverter.GetBytes(Random.Shared.NextInt64(1, long.MaxValue))),
                                    Name = "raw span",
                                    StartTimeUnixNano = now,
                                    EndTimeUnixNano = now + 1_000_000,
                                },
                            },
                        },
                    },
                },
            },
        };
    }
}

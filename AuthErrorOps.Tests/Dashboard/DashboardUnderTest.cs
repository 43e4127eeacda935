using System.Net.Http.Headers;
using System.Text.Json;
using AuthErrorOps.Dashboard;
using AuthErrorOps.Dashboard.Telemetry;
using AuthErrorOps.Tests.Infrastructure;
using OpenTelemetry.Exporter;
using Xunit;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>A real <see cref="DashboardHost"/> on free loopback ports, with a fake AppHost and a client holding the token.</summary>
internal sealed class DashboardUnderTest : IAsyncDisposable
{
    private DashboardUnderTest(DashboardHost host, DashboardOptions options, FakeResourceService resources)
    {
        Host = host;
        Options = options;
        Resources = resources;
        Api = new HttpClient { BaseAddress = host.UiUrl, Timeout = TimeSpan.FromSeconds(10) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.BrowserToken);
    }

    public DashboardHost Host { get; }

    public DashboardOptions Options { get; }

    public FakeResourceService Resources { get; }

    /// <summary>Sends <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public HttpClient Api { get; }

    public static async Task<DashboardUnderTest> StartAsync(TelemetryLimits? limits = null)
    {
        var options = new DashboardOptions
        {
            BrowserToken = "browser-" + Guid.NewGuid().ToString("N"),
            OtlpApiKey = "otlp-" + Guid.NewGuid().ToString("N"),
            UiPort = 0,
            OtlpGrpcPort = 0,
            OtlpHttpPort = 0,
            Limits = limits ?? new TelemetryLimits(),
        };
        var resources = new FakeResourceService();
        var host = await DashboardHost.StartAsync(options, resources, TestContext.Current.CancellationToken);
        return new DashboardUnderTest(host, options, resources);
    }

    /// <summary>Points the real OTLP exporter at this dashboard for <paramref name="signal"/> (traces, logs, metrics).</summary>
    public void ConfigureExporter(OtlpExporterOptions exporter, OtlpExportProtocol protocol, string signal, string? apiKey = null)
    {
        exporter.Protocol = protocol;
        exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? Host.OtlpGrpcUrl : new Uri(Host.OtlpHttpUrl, $"v1/{signal}");
        exporter.Headers = $"x-otlp-api-key={apiKey ?? Options.OtlpApiKey}";
        exporter.TimeoutMilliseconds = 5_000;
    }

    public async Task<JsonElement> GetJsonAsync(string pathAndQuery)
    {
        using var response = await Api.GetAsync(pathAndQuery, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {pathAndQuery} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls the API until <paramref name="probe"/> finds what it wants (10 s at most).</summary>
    public async Task<JsonElement> EventuallyAsync(string what, string pathAndQuery, Func<JsonElement, bool> probe)
    {
        JsonElement last = default;
        await Eventually.HoldsAsync(what, async () => probe(last = await GetJsonAsync(pathAndQuery)), TimeSpan.FromSeconds(10));
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Host.DisposeAsync();
    }
}

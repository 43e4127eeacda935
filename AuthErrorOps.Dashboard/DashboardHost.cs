using AuthErrorOps.Dashboard.Hosting;
using AuthErrorOps.Dashboard.Resources;
using AuthErrorOps.Dashboard.Security;
using AuthErrorOps.Dashboard.Telemetry;

namespace AuthErrorOps.Dashboard;

/// <summary>
/// The dashboard inside the AppHost's process: UI, JSON and control APIs on one loopback port, the OTLP receiver
/// on two more (gRPC, HTTP). See docs/dashboard.md.
/// </summary>
public sealed class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, DashboardListeners listeners, DashboardOptions options, TelemetryStore telemetry)
    {
        _app = app;
        Telemetry = telemetry;
        UiUrl = new Uri($"http://localhost:{listeners.UiPort}/");
        OtlpGrpcUrl = new Uri($"http://localhost:{listeners.OtlpGrpcPort}/");
        OtlpHttpUrl = new Uri($"http://localhost:{listeners.OtlpHttpPort}/");
        LoginUrl = new Uri(UiUrl, $"login?t={Uri.EscapeDataString(options.BrowserToken)}");
    }

    public Uri UiUrl { get; }

    public Uri OtlpGrpcUrl { get; }

    public Uri OtlpHttpUrl { get; }

    /// <summary>The link to print: opens the UI and sets the login cookie.</summary>
    public Uri LoginUrl { get; }

    public TelemetryStore Telemetry { get; }

    /// <exception cref="InvalidOperationException">A configured port is taken; the message names the port and its setting.</exception>
    public static async Task<DashboardHost> StartAsync(DashboardOptions options, IResourceService resources, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var telemetry = new TelemetryStore(options.Limits);

        var builder = DashboardExtensions.CreateEmbeddedBuilder();
        var listeners = builder.ListenOnLoopback(options);
        builder.AddOtlpReceiver();
        builder.AddDashboardApis(options, resources, telemetry);

        var app = builder.Build();
        app.UseListenerRouting(listeners);
        app.UseBrowserToken(options, listeners);
        app.UseDashboardStaticFiles();
        app.MapOtlpReceiver();
        app.MapDashboardApis();

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (DashboardExtensions.PortInUse(e, options) is { } portInUse)
        {
            await app.DisposeAsync();
            throw portInUse;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        listeners.Resolve();
        return new DashboardHost(app, listeners, options, telemetry);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

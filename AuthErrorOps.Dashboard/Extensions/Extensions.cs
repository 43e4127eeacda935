using AuthErrorOps.Dashboard;
using AuthErrorOps.Dashboard.Apis;
using AuthErrorOps.Dashboard.Hosting;
using AuthErrorOps.Dashboard.Otlp;
using AuthErrorOps.Dashboard.Pipeline;
using AuthErrorOps.Dashboard.Resources;
using AuthErrorOps.Dashboard.Telemetry;
using Microsoft.Extensions.FileProviders;

namespace Microsoft.Extensions.Hosting;

/// <summary>How <see cref="DashboardHost"/> is wired: builder, listeners, services, middleware and routes.</summary>
internal static class DashboardExtensions
{
    private static readonly TimeSpan PipelineCallTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A web application embedded in the AppHost: no configuration files or environment (the AppHost passes
    /// everything in <see cref="DashboardOptions"/>), warnings-only console logging, and no Ctrl+C handling of its own.
    /// </summary>
    public static WebApplicationBuilder CreateEmbeddedBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = [],
        });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        return builder;
    }

    /// <summary>Three endpoints on 127.0.0.1: UI (HTTP/1.1), OTLP gRPC (HTTP/2 only), OTLP HTTP (HTTP/1.1).</summary>
    public static DashboardListeners ListenOnLoopback(this WebApplicationBuilder builder, DashboardOptions options)
    {
        var listeners = new DashboardListeners();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            listeners.Listen(kestrel, options);
        });
        builder.Services.AddSingleton(listeners);
        return listeners;
    }

    public static void AddOtlpReceiver(this WebApplicationBuilder builder) =>
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<OtlpApiKeyInterceptor>();
            grpc.MaxReceiveMessageSize = 32 * 1024 * 1024;
            grpc.EnableDetailedErrors = false;
        });

    public static void AddDashboardApis(this WebApplicationBuilder builder, DashboardOptions options, IResourceService resources, TelemetryStore telemetry)
    {
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(resources);
        builder.Services.AddSingleton(telemetry);
        builder.Services.AddProblemDetails();
        builder.Services.AddHttpClient<PipelineReader>(http => http.Timeout = PipelineCallTimeout);
    }

    /// <summary>A route answers only on its own listener; anything else is 404 (OTLP is not served on the UI port and vice versa).</summary>
    public static void UseListenerRouting(this WebApplication app, DashboardListeners listeners) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            var isOtlpGrpc = path.Value?.StartsWith("/opentelemetry.proto.collector.", StringComparison.Ordinal) == true;
            var isOtlpHttp = path.StartsWithSegments("/v1", StringComparison.Ordinal);
            var allowed = listeners.Of(context) switch
            {
                DashboardListener.Ui => !isOtlpGrpc && !isOtlpHttp,
                DashboardListener.OtlpGrpc => isOtlpGrpc,
                DashboardListener.OtlpHttp => isOtlpHttp,
                _ => false,
            };
            if (!allowed)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });

    /// <summary>The UI's files (another project's concern) from the host's <c>wwwroot</c>, <c>/</c> → <c>index.html</c>; behind the token.</summary>
    public static void UseDashboardStaticFiles(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        IFileProvider files = Directory.Exists(root) ? new PhysicalFileProvider(root) : new NullFileProvider();
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
    }

    public static void MapOtlpReceiver(this WebApplication app)
    {
        app.MapGrpcService<OtlpTraceReceiver>();
        app.MapGrpcService<OtlpLogsReceiver>();
        app.MapGrpcService<OtlpMetricsReceiver>();
        app.MapOtlpHttpApi();
    }

    public static void MapDashboardApis(this WebApplication app)
    {
        app.MapLoginPage();
        app.MapTelemetryApi();
        app.MapResourcesApi();
        app.MapPipelineApi();
    }

    /// <summary>Kestrel's bind failure restated with the port and the setting that chose it; null if it was something else.</summary>
    public static InvalidOperationException? PortInUse(Exception failure, DashboardOptions options)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            foreach (var (port, setting) in options.Ports.Where(p => p.Port != 0))
            {
                if (e.Message.Contains($"127.0.0.1:{port}", StringComparison.Ordinal))
                {
                    return new InvalidOperationException(
                        $"The dashboard cannot listen on port {port} ({setting}): it is in use. Stop whatever holds it, or set {setting} to another port (0 picks a free one).",
                        failure);
                }
            }
        }

        return null;
    }
}

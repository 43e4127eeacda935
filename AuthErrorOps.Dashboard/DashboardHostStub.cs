using AuthErrorOps.Dashboard.Resources;

namespace AuthErrorOps.Dashboard;

// Placeholder until the dashboard backend lands (branch dash); the same public shape.
public sealed record DashboardOptions
{
    public required string BrowserToken { get; init; }

    public required string OtlpApiKey { get; init; }

    public int UiPort { get; init; } = 18888;

    public int OtlpGrpcPort { get; init; } = 18889;

    public int OtlpHttpPort { get; init; } = 18890;
}

public sealed class DashboardHost : IAsyncDisposable
{
    private DashboardHost(DashboardOptions options)
    {
        UiUrl = new Uri($"http://localhost:{options.UiPort}/");
        OtlpGrpcUrl = new Uri($"http://localhost:{options.OtlpGrpcPort}/");
        OtlpHttpUrl = new Uri($"http://localhost:{options.OtlpHttpPort}/");
        LoginUrl = new Uri(UiUrl, $"login?t={options.BrowserToken}");
    }

    public Uri UiUrl { get; }

    public Uri OtlpGrpcUrl { get; }

    public Uri OtlpHttpUrl { get; }

    public Uri LoginUrl { get; }

    public static Task<DashboardHost> StartAsync(DashboardOptions options, IResourceService resources, CancellationToken cancellationToken = default) =>
        Task.FromResult(new DashboardHost(options));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using AuthErrorOps.Dashboard.Telemetry;

namespace AuthErrorOps.Dashboard;

/// <summary>The dashboard's secrets, ports and caps (<c>AppHost:Dashboard:*</c>, <c>AppHost:BrowserToken</c>).</summary>
public sealed record DashboardOptions
{
    /// <summary>Opens the UI and APIs: login link, form, cookie or <c>Authorization: Bearer</c>.</summary>
    public required string BrowserToken { get; init; }

    /// <summary>The <c>x-otlp-api-key</c> every OTLP export must send.</summary>
    public required string OtlpApiKey { get; init; }

    /// <summary>0 picks a free port.</summary>
    public int UiPort { get; init; } = 18888;

    public int OtlpGrpcPort { get; init; } = 18889;

    public int OtlpHttpPort { get; init; } = 18890;

    public TelemetryLimits Limits { get; init; } = new();

    internal IEnumerable<(int Port, string Setting)> Ports =>
    [
        (UiPort, "AppHost:Dashboard:UiPort"),
        (OtlpGrpcPort, "AppHost:Dashboard:OtlpGrpcPort"),
        (OtlpHttpPort, "AppHost:Dashboard:OtlpHttpPort"),
    ];

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(BrowserToken))
        {
            throw new ArgumentException("The dashboard needs a browser token (AppHost:BrowserToken).", nameof(BrowserToken));
        }

        if (string.IsNullOrWhiteSpace(OtlpApiKey))
        {
            throw new ArgumentException("The dashboard needs an OTLP API key.", nameof(OtlpApiKey));
        }

        foreach (var (port, setting) in Ports)
        {
            if (port is < 0 or > 65535)
            {
                throw new ArgumentOutOfRangeException(setting, port, $"{setting} must be a port (0 picks a free one).");
            }
        }

        var fixedPorts = Ports.Where(p => p.Port != 0).ToList();
        if (fixedPorts.DistinctBy(p => p.Port).Count() != fixedPorts.Count)
        {
            throw new ArgumentException($"The dashboard's ports must differ: {string.Join(", ", fixedPorts.Select(p => $"{p.Setting}={p.Port}"))}.");
        }

        Limits.Validate();
    }
}

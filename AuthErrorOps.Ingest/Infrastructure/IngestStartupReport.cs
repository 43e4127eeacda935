using Microsoft.Extensions.Options;

namespace AuthErrorOps.Ingest.Infrastructure;

/// <summary>Logs the effective settings once at start-up, secrets masked, and warns about unsafe ones.</summary>
internal sealed partial class IngestStartupReport(IOptions<IngestOptions> options, ILogger<IngestStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        LogSettings(logger, settings.ApiKeys.Length, string.IsNullOrEmpty(settings.PiiHashKey) ? "development default" : "configured (masked)",
            settings.MaxBatchSize, settings.RateLimitPerSecond);
        if (settings.ApiKeys.Length == 0)
        {
            LogNoApiKeys(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest settings: Ingest:ApiKeys={ApiKeyCount} key(s), Ingest:PiiHashKey={PiiHashKey}, Ingest:MaxBatchSize={MaxBatchSize}, Ingest:RateLimitPerSecond={RateLimitPerSecond}")]
    private static partial void LogSettings(ILogger logger, int apiKeyCount, string piiHashKey, int maxBatchSize, int rateLimitPerSecond);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys configured (Ingest:ApiKeys): every write and ops request will be refused with 401")]
    private static partial void LogNoApiKeys(ILogger logger);
}

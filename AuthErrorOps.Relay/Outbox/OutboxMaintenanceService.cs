using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthErrorOps.Relay.Outbox;

/// <summary>
/// The reaper (expired leases back to PENDING, an attempt counted) and retention (old
/// PUBLISHED rows deleted) on timers, in small batches so no statement holds locks for long.
/// Safe with any number of relays: both skip rows another relay has locked.
/// </summary>
public sealed partial class OutboxMaintenanceService(
    OutboxStore store, RelayMetrics metrics, IOptions<RelayOptions> options, TimeProvider timeProvider, ILogger<OutboxMaintenanceService> logger) : BackgroundService
{
    private const int ReapBatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.ReaperInterval, timeProvider);
        var nextRetention = timeProvider.GetUtcNow();
        try
        {
            do
            {
                try
                {
                    await ReapAsync(settings, stoppingToken);
                    if (timeProvider.GetUtcNow() >= nextRetention)
                    {
                        await DeleteExpiredAsync(settings, stoppingToken);
                        nextRetention = timeProvider.GetUtcNow() + settings.RetentionInterval;
                    }
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    LogMaintenanceFailed(logger, exception.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ReapAsync(RelayOptions settings, CancellationToken cancellationToken)
    {
        int reaped;
        do
        {
            reaped = await store.ReapExpiredAsync(ReapBatchSize, settings.MaxAttempts, cancellationToken);
            if (reaped > 0)
            {
                metrics.Reaped(reaped);
                LogReaped(logger, reaped);
            }
        }
        while (reaped == ReapBatchSize);
    }

    private async Task DeleteExpiredAsync(RelayOptions settings, CancellationToken cancellationToken)
    {
        int deleted;
        do
        {
            deleted = await store.DeletePublishedAsync(settings.RetentionPeriod, settings.RetentionBatchSize, cancellationToken);
            metrics.Deleted(deleted);
        }
        while (deleted == settings.RetentionBatchSize);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reaped {Count} outbox rows whose lease expired")]
    private static partial void LogReaped(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox maintenance failed; next tick retries: {Reason}")]
    private static partial void LogMaintenanceFailed(ILogger logger, string reason);
}

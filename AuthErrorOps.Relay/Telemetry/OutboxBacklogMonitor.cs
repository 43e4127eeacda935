using AuthErrorOps.Core.Outbox;
using Npgsql;

namespace AuthErrorOps.Relay.Telemetry;

/// <summary>Counts the outbox backlog (PENDING, PROCESSING, DEAD) every few seconds for the gauges.</summary>
public sealed class OutboxBacklogMonitor(OutboxStore store, RelayMetrics metrics, TimeProvider timeProvider) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        try
        {
            do
            {
                try
                {
                    metrics.UpdateBacklog(await store.CountBacklogAsync(stoppingToken));
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    // The gauges keep their last value; the health check reports the outage.
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}

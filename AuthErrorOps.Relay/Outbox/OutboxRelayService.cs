using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthErrorOps.Relay.Outbox;

/// <summary>
/// The relay loop: claim a batch of due rows, publish it with confirms, record the outcome.
/// While a backlog exists it loops without sleeping; otherwise it waits for a NOTIFY, with the
/// poll interval as the fallback. On shutdown it stops claiming and settles what it holds.
/// While the broker is unreachable it claims nothing, and rows a lost connection failed go back
/// without counting an attempt: an outage of any length must not push rows towards DEAD or
/// give them backoffs that outlast it.
/// </summary>
public sealed partial class OutboxRelayService(
    OutboxStore store, OutboxPublisher publisher, OutboxWakeUp wakeUp, ClaimFloor floor, RelayInstance instance, RelayMetrics metrics,
    IOptions<RelayOptions> options, ILogger<OutboxRelayService> logger) : BackgroundService
{
    private static readonly TimeSpan BrokerCheckInterval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        LogStarted(logger, instance.Id, settings.BatchSize, settings.Concurrency, settings.PollInterval, settings.LeaseDuration, settings.MaxAttempts);
        // SKIP LOCKED keeps the loops (like separate relays) off each other's rows.
        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(() => RunLoopAsync(settings, stoppingToken), CancellationToken.None)));
        LogStopped(logger, instance.Id);
    }

    private async Task RunLoopAsync(RelayOptions settings, CancellationToken stoppingToken)
    {
        var errorDelay = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!publisher.IsConnected)
                {
                    // Automatic recovery reopens the connection (every 2 s); a cheap check, so poll it often.
                    await Task.Delay(BrokerCheckInterval, stoppingToken);
                    continue;
                }

                var claimed = await store.ClaimAsync(instance.Id, settings.BatchSize, settings.LeaseDuration, floor.NextClaimFrom(), stoppingToken);
                metrics.Claimed(claimed.Count);
                if (claimed.Count == 0)
                {
                    await wakeUp.WaitAsync(settings.PollInterval, stoppingToken);
                    continue;
                }

                floor.Claimed(claimed[0].Id);
                if (claimed.Count == settings.BatchSize)
                {
                    // Likely more behind it: one coalesced NOTIFY woke one loop, so that loop wakes the next.
                    wakeUp.Wake();
                }

                // Once claimed, a batch is published and settled even during shutdown: the
                // publish timeout bounds it, and releasing instead would only repeat the work.
                if (await RelayAsync(claimed, settings))
                {
                    errorDelay = TimeSpan.FromMilliseconds(100);
                }
                else
                {
                    // The broker is unreachable: pause rather than fail the whole backlog in a tight loop.
                    await Task.Delay(errorDelay, stoppingToken);
                    errorDelay = TimeSpan.FromTicks(Math.Min(errorDelay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                // Rows this relay may hold come back through the reaper after their lease.
                LogDatabaseError(logger, errorDelay, exception.Message);
                await Task.Delay(errorDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                errorDelay = TimeSpan.FromTicks(Math.Min(errorDelay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>Publishes and settles a batch; false when nothing got through because the connection is down.</summary>
    private async Task<bool> RelayAsync(IReadOnlyList<OutboxMessage> claimed, RelayOptions settings)
    {
        var outcome = await publisher.PublishAsync(claimed, CancellationToken.None);
        if (outcome.Confirmed.Count > 0)
        {
            var marked = await store.MarkPublishedAsync(instance.Id, outcome.Confirmed, CancellationToken.None);
            metrics.Published(marked);
            if (marked < outcome.Confirmed.Count)
            {
                // Our lease ran out and another relay took over: that relay publishes again (a counted duplicate).
                LogLostLeases(logger, outcome.Confirmed.Count - marked);
            }
        }

        if (outcome.BrokerUnreachable)
        {
            // Not the messages' fault: no attempt, no backoff; they go out once the connection is back.
            await store.ReleaseAsync(instance.Id, outcome.Failed.Select(failure => failure.Id).ToList(), CancellationToken.None);
            LogBrokerUnreachable(logger, outcome.Failed.Count, outcome.Failed[0].Error);
            return outcome.Confirmed.Count > 0;
        }

        if (outcome.Failed.Count > 0)
        {
            await store.MarkFailedAsync(instance.Id, outcome.Failed, settings.MaxAttempts, settings.BackoffBase, settings.BackoffCap, CancellationToken.None);
            LogPublishFailures(logger, outcome.Failed.Count, outcome.Failed[0].Reason, outcome.Failed[0].Error);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relay {Instance} started: batch {BatchSize}, {Concurrency} loops, poll {PollInterval}, lease {Lease}, max attempts {MaxAttempts}")]
    private static partial void LogStarted(ILogger logger, string instance, int batchSize, int concurrency, TimeSpan pollInterval, TimeSpan lease, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Relay {Instance} stopped claiming")]
    private static partial void LogStopped(ILogger logger, string instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox database error; retrying in {Delay}: {Reason}")]
    private static partial void LogDatabaseError(ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} publishes failed (first: {Reason}: {Error}); rows back to PENDING with backoff")]
    private static partial void LogPublishFailures(ILogger logger, int count, string reason, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker unreachable ({Error}); {Count} rows released without counting an attempt, claiming paused until the connection recovers")]
    private static partial void LogBrokerUnreachable(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} published rows were no longer ours (lease expired and reaped)")]
    private static partial void LogLostLeases(ILogger logger, int count);
}

using System.Threading.Channels;
using AuthErrorOps.Core.Outbox;
using Npgsql;

namespace AuthErrorOps.Relay.Outbox;

/// <summary>
/// LISTENs on the outbox channel on a dedicated connection and wakes the relay loop at once,
/// so latency does not depend on the poll interval. Reconnects after a lost connection and
/// wakes the loop then too, since notifications sent meanwhile are lost.
/// </summary>
public sealed partial class OutboxWakeUp(NpgsqlDataSource dataSource, ILogger<OutboxWakeUp> logger) : BackgroundService
{
    // Capacity one: any number of notifications while the relay is busy collapse into one wake-up.
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Wakes one waiting loop, as a notification would: a loop that claimed a full batch passes the backlog on.</summary>
    public void Wake() => _signals.Writer.TryWrite(true);

    /// <summary>Waits for a notification or <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await _signals.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Poll interval elapsed: the fallback.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => Wake();
                await using (var listen = new NpgsqlCommand($"LISTEN {OutboxChannel.Name}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                LogListening(logger, OutboxChannel.Name);
                Wake();
                delay = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or IOException)
            {
                LogListenLost(logger, delay, exception.Message);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for new outbox rows on channel {Channel}")]
    private static partial void LogListening(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox LISTEN connection lost; reconnecting in {Delay} (polling covers the gap): {Reason}")]
    private static partial void LogListenLost(ILogger logger, TimeSpan delay, string reason);
}

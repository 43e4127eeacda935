using System.Threading.Channels;
using AuthErrorOps.Core.Outbox;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Ingest.Infrastructure;

/// <summary>
/// Wakes the relay after outbox rows commit, coalesced: at most one NOTIFY in flight per Ingest
/// process and one per <see cref="MinimumGap"/>, sent after the write's commit instead of inside it.
/// A NOTIFY in the write transaction takes PostgreSQL's cluster-wide notify lock at commit and
/// holds it through the WAL flush, so every writing transaction committed alone (66-94 % of
/// PostgreSQL's waits under load, docs/performance.md). The relay needs one wake-up, not one per
/// row; a wake-up lost to a crash or an error costs at most the relay's poll interval.
/// </summary>
public sealed partial class OutboxNotifier(NpgsqlDataSource dataSource, ILogger<OutboxNotifier> logger) : BackgroundService
{
    // Asynchronous commit: a notification needs no durability, so it need not wait for a WAL flush.
    private const string NotifySql = $"SELECT set_config('synchronous_commit', 'off', true), pg_notify('{OutboxChannel.Name}', '')";

    public static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(5);

    // Capacity one: any number of commits while a NOTIFY is pending collapse into one.
    private readonly Channel<bool> _pending = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Called after a transaction that wrote outbox rows has committed.</summary>
    public void RowsCommitted() => _pending.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken))
            {
                _pending.Reader.TryRead(out _);
                await NotifyAsync(stoppingToken);
                await Task.Delay(MinimumGap, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the relay's poll picks up anything not announced.
        }
    }

    private async Task NotifyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(NotifySql, cancellationToken: cancellationToken));
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogNotifyFailed(logger, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the relay (it polls instead): {Reason}")]
    private static partial void LogNotifyFailed(ILogger logger, string reason);
}

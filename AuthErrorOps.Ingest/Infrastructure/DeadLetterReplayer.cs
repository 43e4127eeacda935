using System.Text;
using AuthErrorOps.Core.DeadLetters;
using AuthErrorOps.Core.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AuthErrorOps.Ingest.Infrastructure;

public enum ReplayOutcome
{
    Replayed,
    NotFound,

    /// <summary>The row holds no payload or no event id: there is no event to send again.</summary>
    NotReplayable,

    /// <summary>The broker did not confirm the publish (unroutable, nack, timeout, connection); the row is FAILED.</summary>
    PublishFailed,
}

public sealed record ReplayResult(ReplayOutcome Outcome, DeadLetterReplayState? State = null, string? Detail = null);

/// <summary>
/// Sends a dead letter's stored payload to the main exchange again, as the relay first did,
/// and records the replay only once the broker confirmed it. The consumer's processed_message
/// ledger makes a replay of an already processed event a no-op, so replays are not rationed.
/// </summary>
public sealed partial class DeadLetterReplayer(IConnection connection, DeadLetterLedger ledger, ILogger<DeadLetterReplayer> logger) : IAsyncDisposable
{
    internal static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    private readonly ConfirmedPublishChannel _channel = new(connection);

    public async Task<ReplayResult> ReplayAsync(long id, CancellationToken cancellationToken)
    {
        var source = await ledger.GetReplaySourceAsync(id, cancellationToken);
        if (source is null)
        {
            return new ReplayResult(ReplayOutcome.NotFound);
        }

        if (source.Payload is null || source.EventId is not { } eventId)
        {
            return new ReplayResult(ReplayOutcome.NotReplayable, Detail: source.Payload is null
                ? $"Dead letter {id} has no stored payload."
                : $"Dead letter {id} has no event id (a malformed message); the consumer would dead-letter it again.");
        }

        var eventType = source.EventType ?? AuthErrorTopology.RecordedEventType;
        var properties = new BasicProperties
        {
            MessageId = eventId.ToString(),
            Type = eventType,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PublishTimeout);
            var channel = await _channel.GetAsync(timeout.Token);
            await channel.BasicPublishAsync(AuthErrorTopology.Exchange, eventType, mandatory: true, properties,
                Encoding.UTF8.GetBytes(source.Payload), timeout.Token);
        }
        catch (Exception exception) when (exception is PublishException or AlreadyClosedException or OperationInterruptedException
            or BrokerUnreachableException or IOException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = exception switch
            {
                PublishException { IsReturn: true } => $"unroutable: no queue is bound to '{eventType}' on {AuthErrorTopology.Exchange}",
                PublishException => "the broker refused the message (nack)",
                OperationCanceledException => $"no confirm within {PublishTimeout.TotalSeconds:0} s",
                _ => $"connection: {exception.Message}",
            };
            LogReplayFailed(logger, id, source.MessageKey, reason);
            // A return or nack leaves the channel sound; anything else may not have.
            if (exception is not PublishException)
            {
                await _channel.ResetAsync();
            }

            // The publish failed; the mark must not be lost to the caller going away.
            await ledger.MarkReplayFailedAsync(id, CancellationToken.None);
            return new ReplayResult(ReplayOutcome.PublishFailed, Detail: $"Dead letter {id} was not replayed: {reason}.");
        }

        // Confirmed: record it even if the caller went away meanwhile, or the ledger would miss a replay.
        var state = await ledger.MarkReplayedAsync(id, source.ReadAt, CancellationToken.None);
        LogReplayed(logger, id, source.MessageKey, eventType);
        return state is null ? new ReplayResult(ReplayOutcome.NotFound) : new ReplayResult(ReplayOutcome.Replayed, state);
    }

    public ValueTask DisposeAsync() => _channel.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead letter {Id} ({MessageKey}) replayed as {EventType}")]
    private static partial void LogReplayed(ILogger logger, long id, string messageKey, string eventType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead letter {Id} ({MessageKey}) could not be replayed: {Reason}")]
    private static partial void LogReplayFailed(ILogger logger, long id, string messageKey, string reason);
}

using System.Diagnostics;
using System.Text;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay.Telemetry;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AuthErrorOps.Relay.Outbox;

/// <summary>What became of a batch. <paramref name="BrokerUnreachable"/>: the failures were the broker's, not the messages'.</summary>
public sealed record PublishOutcome(IReadOnlyList<long> Confirmed, IReadOnlyList<PublishFailure> Failed, bool BrokerUnreachable);

/// <summary>
/// Publishes a claimed batch on one long-lived channel with publisher confirms, all messages
/// in flight at once. A row counts as published only once the broker confirmed it; a return
/// (unroutable), a nack, a timeout or a lost connection is a failure with its reason.
/// </summary>
public sealed class OutboxPublisher(IConnection connection, RelayMetrics metrics, IOptions<RelayOptions> options) : IAsyncDisposable
{
    public static readonly ActivitySource ActivitySource = new("AuthErrorOps.Relay");

    private readonly ConfirmedPublishChannel _channel = new(connection);

    /// <summary>False while the connection is down and automatic recovery has not yet reopened it.</summary>
    public bool IsConnected => connection.IsOpen;

    public async Task<PublishOutcome> PublishAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        IChannel channel;
        try
        {
            channel = await _channel.GetAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or IOException)
        {
            return new PublishOutcome([], messages.Select(m => new PublishFailure(m.Id, "connection", exception.Message)).ToList(), BrokerUnreachable: true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        var results = await Task.WhenAll(messages.Select(message => PublishOneAsync(channel, message, timeout.Token)));

        var failed = results.Where(r => r is not null).Select(r => r!).ToList();
        if (failed.Any(f => f.Reason is "connection" or "timeout"))
        {
            await _channel.ResetAsync();
        }

        var failedIds = failed.Select(f => f.Id).ToHashSet();
        return new PublishOutcome(messages.Where(m => !failedIds.Contains(m.Id)).Select(m => m.Id).ToList(), failed,
            BrokerUnreachable: failed.Count > 0 && !connection.IsOpen);
    }

    private async Task<PublishFailure?> PublishOneAsync(IChannel channel, OutboxMessage message, CancellationToken cancellationToken)
    {
        // The publish continues the trace of the request that wrote the row; RabbitMQ.Client's own
        // publish span becomes its child and carries the context on in the traceparent header.
        ActivityContext.TryParse(message.TraceParent, message.TraceState, isRemote: true, out var parent);
        using var activity = ActivitySource.StartActivity("outbox publish", ActivityKind.Internal, parent);
        activity?.SetTag("messaging.message.id", message.EventId.ToString());
        activity?.SetTag("autherrorops.outbox.id", message.Id);
        activity?.SetTag("autherrorops.outbox.attempts", message.Attempts);

        var properties = new BasicProperties
        {
            MessageId = message.EventId.ToString(),
            Type = message.EventType,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };
        var started = Stopwatch.GetTimestamp();
        try
        {
            await channel.BasicPublishAsync(AuthErrorTopology.Exchange, message.EventType, mandatory: true, properties,
                Encoding.UTF8.GetBytes(message.Payload), cancellationToken);
            metrics.Confirmed(Stopwatch.GetElapsedTime(started));
            return null;
        }
        catch (Exception exception)
        {
            var reason = exception switch
            {
                PublishException { IsReturn: true } => "unroutable",
                PublishException => "nack",
                OperationCanceledException => "timeout",
                _ => "connection",
            };
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            metrics.PublishFailed(reason);
            return new PublishFailure(message.Id, reason, exception.Message);
        }
    }

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}

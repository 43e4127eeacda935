using System.Diagnostics;
using System.Text.Json;
using AuthErrorOps.Consumer.Telemetry;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AuthErrorOps.Consumer.Messaging;

/// <summary>
/// Consumes <c>auth.error.recorded.q</c> with manual acks, a prefetch and several deliveries in
/// parallel. Each delivery is linked in one transaction, then acked; a failure goes to the next
/// retry tier (confirmed, then acked); malformed messages go straight to the DLQ.
/// </summary>
public sealed partial class AuthErrorRecordedConsumer(
    IConnection connection, ClusterLinker linker, MessageRouter router, ConsumerMetrics metrics,
    IOptions<ConsumerOptions> options, ILogger<AuthErrorRecordedConsumer> logger) : BackgroundService
{
    public static readonly ActivitySource ActivitySource = new("AuthErrorOps.Consumer");

    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: (ushort)settings.Concurrency), stoppingToken);
        await channel.BasicQosAsync(0, settings.Prefetch, global: false, stoppingToken);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => HandleAsync(channel, delivery, stoppingToken);
        var tag = await channel.BasicConsumeAsync(AuthErrorTopology.RecordedQueue, autoAck: false, consumer, stoppingToken);
        LogConsuming(logger, AuthErrorTopology.RecordedQueue, settings.Prefetch, settings.Concurrency);

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Unacked deliveries return to the queue when the channel closes; processed_message makes their redelivery harmless.
            await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        // RabbitMQ.Client's deliver span (parented by the traceparent header) is current here; ours is its child.
        using var activity = ActivitySource.StartActivity("auth error process", ActivityKind.Consumer);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.destination.name", AuthErrorTopology.RecordedQueue);
        activity?.SetTag("messaging.message.id", delivery.BasicProperties.MessageId);
        string outcome;
        try
        {
            outcome = await ProcessAsync(delivery, stoppingToken);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Routing itself failed (broker or DB gone): hand the message back rather than lose it.
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            LogRoutingFailed(logger, delivery.BasicProperties.MessageId, exception.Message);
            await TryNackAsync(channel, delivery.DeliveryTag);
            outcome = "requeued";
        }
        catch (OperationCanceledException)
        {
            await TryNackAsync(channel, delivery.DeliveryTag);
            return;
        }

        activity?.SetTag("autherrorops.outcome", outcome);
        metrics.Consumed(outcome, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Links the event or routes it on; returns the outcome. Throws only if routing itself fails.</summary>
    private async Task<string> ProcessAsync(BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        if (!TryRead(delivery, out var recorded, out var problem))
        {
            await router.DeadLetterAsync(delivery.BasicProperties, delivery.Body, "malformed", problem, stoppingToken);
            LogPoison(logger, delivery.BasicProperties.MessageId, "malformed", problem);
            return "dead_lettered";
        }

        LinkResult result;
        try
        {
            result = await linker.LinkAsync(recorded.EventId, recorded.AuthErrorId, stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            var tier = await router.RetryOrDeadLetterAsync(delivery.BasicProperties, delivery.Body, $"{exception.GetType().Name}: {exception.Message}", stoppingToken);
            LogProcessingFailed(logger, recorded.EventId, tier ?? "DLQ", exception.Message);
            if (tier is null)
            {
                return "dead_lettered";
            }

            metrics.Retried(tier);
            return "retried";
        }

        switch (result.Outcome)
        {
            case LinkOutcome.UnknownAuthError:
                await router.DeadLetterAsync(delivery.BasicProperties, delivery.Body, "unknown_auth_error",
                    $"auth_error {recorded.AuthErrorId} does not exist", stoppingToken);
                LogPoison(logger, delivery.BasicProperties.MessageId, "unknown_auth_error", $"auth_error {recorded.AuthErrorId}");
                return "dead_lettered";
            case LinkOutcome.Duplicate:
                return "duplicate";
            default:
                metrics.Linked(result.ReceivedAt!.Value, result.NewCluster);
                return "linked";
        }
    }

    /// <summary>A well-formed auth.error.recorded.v1: known type, JSON with ids, message_id equal to the event id.</summary>
    private static bool TryRead(BasicDeliverEventArgs delivery, out AuthErrorRecorded recorded, out string problem)
    {
        recorded = null!;
        if (delivery.BasicProperties.Type is { } type && type != AuthErrorTopology.RecordedEventType)
        {
            problem = $"unknown event type '{type}'";
            return false;
        }

        try
        {
            recorded = JsonSerializer.Deserialize<AuthErrorRecorded>(delivery.Body.Span, PayloadJson)!;
        }
        catch (JsonException exception)
        {
            problem = $"body is not an auth.error.recorded.v1 JSON document: {exception.Message}";
            return false;
        }

        problem = recorded switch
        {
            null => "body is JSON null",
            { EventId: var id } when id == Guid.Empty => "eventId is missing",
            { AuthErrorId: <= 0 } => "authErrorId is missing",
            _ when delivery.BasicProperties.MessageId is { } messageId && messageId != recorded.EventId.ToString() => "message_id differs from eventId",
            _ => "",
        };
        return problem.Length == 0;
    }

    private async Task TryNackAsync(IChannel channel, ulong deliveryTag)
    {
        try
        {
            await channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.AlreadyClosedException or ObjectDisposedException)
        {
            // The channel is gone; the broker requeues what it had not seen acked.
            LogRoutingFailed(logger, null, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue} with prefetch {Prefetch}, {Concurrency} in parallel")]
    private static partial void LogConsuming(ILogger logger, string queue, ushort prefetch, int concurrency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} failed; sent to {Tier}: {Reason}")]
    private static partial void LogProcessingFailed(ILogger logger, Guid eventId, string tier, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} dead-lettered as {Reason}: {Detail}")]
    private static partial void LogPoison(ILogger logger, string? messageId, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not route message {MessageId}; requeued: {Reason}")]
    private static partial void LogRoutingFailed(ILogger logger, string? messageId, string reason);
}

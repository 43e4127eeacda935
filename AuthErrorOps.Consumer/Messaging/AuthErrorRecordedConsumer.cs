using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using AuthErrorOps.Consumer.Telemetry;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.Messaging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AuthErrorOps.Consumer.Messaging;

/// <summary>
/// Consumes <c>auth.error.recorded.q</c> with manual acks and a prefetch. Deliveries are collected into batches
/// (<c>Consumer:BatchSize</c>, <c>Consumer:BatchLinger</c>), <c>Consumer:Concurrency</c> batches in flight; the
/// well-formed deliveries of a batch are linked in one transaction, then acked, in one frame when the order of the
/// batches allows (<see cref="DeliveryAcknowledger"/>). A delivery whose error fails to analyse goes to the next retry
/// tier (confirmed, then acked) while the rest of its batch links. If the batch's
/// transaction fails, its deliveries are linked one by one, so only a failing one takes the retry path.
/// Malformed messages go straight to the DLQ and never enter a transaction.
/// </summary>
public sealed partial class AuthErrorRecordedConsumer(
    IConnection connection, ClusterLinker linker, MessageRouter router, ConsumerMetrics metrics,
    IOptions<ConsumerOptions> options, ILogger<AuthErrorRecordedConsumer> logger) : BackgroundService
{
    public static readonly ActivitySource ActivitySource = new("AuthErrorOps.Consumer");

    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    /// <summary>A delivery in a batch: its event once read, and its own processing span.</summary>
    private sealed class BatchMessage(PendingDelivery delivery, Activity? activity)
    {
        public PendingDelivery Delivery { get; } = delivery;

        public Activity? Activity { get; } = activity;

        public AuthErrorRecorded Event { get; set; } = null!;

        public string? MessageId => Delivery.Properties.MessageId;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // Unbounded: the prefetch already bounds what the broker has out.
        var deliveries = Channel.CreateUnbounded<PendingDelivery>(new UnboundedChannelOptions { SingleWriter = true });
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await channel.BasicQosAsync(0, settings.Prefetch, global: false, stoppingToken);
        var acks = new DeliveryAcknowledger(channel);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // RabbitMQ.Client's deliver span (parented by the traceparent header) is current here; it parents ours.
            // After a stop the writer is complete and the delivery stays unacked: the broker requeues it.
            acks.Received(delivery.DeliveryTag);
            deliveries.Writer.TryWrite(new PendingDelivery(delivery.DeliveryTag, delivery.BasicProperties, delivery.Body.ToArray(), Activity.Current?.Context ?? default));
            return Task.CompletedTask;
        };

        var batchLoops = Enumerable.Range(0, settings.Concurrency)
            .Select(_ => Task.Run(() => RunBatchesAsync(acks, deliveries.Reader, settings, stoppingToken), CancellationToken.None))
            .ToArray();
        var tag = await channel.BasicConsumeAsync(AuthErrorTopology.RecordedQueue, autoAck: false, consumer, stoppingToken);
        LogConsuming(logger, AuthErrorTopology.RecordedQueue, settings.Prefetch, settings.Concurrency, settings.BatchSize, settings.BatchLinger);

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Unacked deliveries return to the queue when the channel closes; processed_message makes their redelivery harmless.
            await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
        }

        deliveries.Writer.TryComplete();
        await Task.WhenAll(batchLoops);
    }

    private async Task RunBatchesAsync(DeliveryAcknowledger acks, ChannelReader<PendingDelivery> reader, ConsumerOptions settings, CancellationToken stoppingToken)
    {
        var batch = new List<PendingDelivery>(settings.BatchSize);
        var linger = TimeSpan.Zero;
        try
        {
            while (await DeliveryBatch.FillAsync(reader, batch, settings.BatchSize, linger, stoppingToken))
            {
                metrics.BatchCollected(batch.Count, linger);
                var started = Stopwatch.GetTimestamp();
                await ProcessBatchAsync(acks, batch, stoppingToken);
                linger = DeliveryBatch.NextLinger(Stopwatch.GetElapsedTime(started), settings.BatchLinger);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left unacked goes back to the queue with the channel.
        }
    }

    private async Task ProcessBatchAsync(DeliveryAcknowledger acks, List<PendingDelivery> batch, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        // The batch has no single parent: it links to each message's context, and each message gets its own span in its own trace.
        using var batchActivity = ActivitySource.StartActivity("auth error batch", ActivityKind.Internal, parentContext: default,
            tags: [new("messaging.batch.message_count", batch.Count)], links: batch.Where(delivery => delivery.TraceContext != default).Select(delivery => new ActivityLink(delivery.TraceContext)));
        var messages = new List<BatchMessage>(batch.Count);
        foreach (var delivery in batch)
        {
            messages.Add(new BatchMessage(delivery, StartProcessActivity(delivery)));
            // Database work and logs of the batch belong to the batch span, not to the last message's.
            Activity.Current = batchActivity;
        }

        try
        {
            var wellFormed = new List<BatchMessage>(messages.Count);
            foreach (var message in messages)
            {
                if (TryRead(message.Delivery, out var recorded, out var problem))
                {
                    message.Event = recorded;
                    wellFormed.Add(message);
                }
                else
                {
                    await SettleAsync(acks, [message], started, _ => DeadLetterMalformedAsync(message, problem, stoppingToken), stoppingToken);
                }
            }

            if (wellFormed.Count == 1)
            {
                await SettleAsync(acks, wellFormed, started, _ => LinkOneAsync(wellFormed[0], stoppingToken), stoppingToken);
            }
            else if (wellFormed.Count > 1)
            {
                await LinkBatchAsync(acks, wellFormed, started, batchActivity, stoppingToken);
            }
        }
        finally
        {
            foreach (var message in messages)
            {
                message.Activity?.Dispose();
            }
        }
    }

    private async Task LinkBatchAsync(DeliveryAcknowledger acks, List<BatchMessage> messages, long started, Activity? batchActivity, CancellationToken stoppingToken)
    {
        IReadOnlyList<LinkResult> results;
        try
        {
            results = await linker.LinkBatchAsync([.. messages.Select(m => new LinkRequest(m.Event.EventId, m.Event.AuthErrorId))], stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Nothing was written: link one by one, so only the failing message takes its retry path and the others still link.
            batchActivity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            LogBatchFailed(logger, messages.Count, exception.Message);
            await SettleAsync(acks, messages, started, i => LinkOneAsync(messages[i], stoppingToken), stoppingToken);
            return;
        }
        catch (OperationCanceledException)
        {
            foreach (var message in messages)
            {
                await TryNackAsync(acks, message.Delivery.DeliveryTag);
            }

            return;
        }

        // Committed: route what failed, then ack the batch.
        await SettleAsync(acks, messages, started, i => OutcomeOfAsync(messages[i], results[i], stoppingToken), stoppingToken);
    }

    /// <summary>
    /// Has <paramref name="process"/> settle each message in turn (returning its outcome), then acks those it settled, in
    /// as few frames as <see cref="DeliveryAcknowledger"/> can. A message that cannot be routed is requeued rather than lost.
    /// </summary>
    private async Task SettleAsync(DeliveryAcknowledger acks, IReadOnlyList<BatchMessage> messages, long started, Func<int, Task<string>> process, CancellationToken stoppingToken)
    {
        var settled = new List<(BatchMessage Message, string Outcome)>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            try
            {
                settled.Add((message, await process(i)));
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Routing itself failed (broker or DB gone): hand the message back rather than lose it.
                RecordRoutingFailure(message, exception);
                await TryNackAsync(acks, message.Delivery.DeliveryTag);
                Complete(message, "requeued", started);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the rest goes back to the queue; what was settled is still acked below.
                foreach (var rest in messages.Skip(i))
                {
                    await TryNackAsync(acks, rest.Delivery.DeliveryTag);
                }

                break;
            }
        }

        try
        {
            await acks.AckAsync([.. settled.Select(s => s.Message.Delivery.DeliveryTag)]);
        }
        catch (Exception exception)
        {
            // The channel is gone: the broker requeues whatever it had not seen acked.
            foreach (var (message, _) in settled)
            {
                RecordRoutingFailure(message, exception);
                Complete(message, "requeued", started);
            }

            return;
        }

        foreach (var (message, outcome) in settled)
        {
            Complete(message, outcome, started);
        }
    }

    private void RecordRoutingFailure(BatchMessage message, Exception exception)
    {
        message.Activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        LogRoutingFailed(logger, message.MessageId, exception.Message);
    }

    private void Complete(BatchMessage message, string outcome, long started)
    {
        message.Activity?.SetTag("autherrorops.outcome", outcome);
        message.Activity?.Dispose();
        metrics.Consumed(outcome, Stopwatch.GetElapsedTime(started));
    }

    private async Task<string> DeadLetterMalformedAsync(BatchMessage message, string problem, CancellationToken stoppingToken)
    {
        await router.DeadLetterAsync(message.Delivery.Properties, message.Delivery.Body, "malformed", problem, stoppingToken);
        LogPoison(logger, message.MessageId, "malformed", problem);
        return "dead_lettered";
    }

    /// <summary>Links the event in its own transaction or routes it on; returns the outcome. Throws only if routing itself fails.</summary>
    private async Task<string> LinkOneAsync(BatchMessage message, CancellationToken stoppingToken)
    {
        var recorded = message.Event;
        LinkResult result;
        try
        {
            result = await linker.LinkAsync(recorded.EventId, recorded.AuthErrorId, stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            return await RetryOrDeadLetterAsync(message, $"{exception.GetType().Name}: {exception.Message}", stoppingToken);
        }

        return await OutcomeOfAsync(message, result, stoppingToken);
    }

    private async Task<string> OutcomeOfAsync(BatchMessage message, LinkResult result, CancellationToken stoppingToken)
    {
        switch (result.Outcome)
        {
            case LinkOutcome.UnknownAuthError:
                await router.DeadLetterAsync(message.Delivery.Properties, message.Delivery.Body, "unknown_auth_error",
                    $"auth_error {message.Event.AuthErrorId} does not exist", stoppingToken);
                LogPoison(logger, message.MessageId, "unknown_auth_error", $"auth_error {message.Event.AuthErrorId}");
                return "dead_lettered";
            case LinkOutcome.AnalysisFailed:
                return await RetryOrDeadLetterAsync(message, result.Failure!, stoppingToken);
            case LinkOutcome.Duplicate:
                return "duplicate";
            default:
                metrics.Linked(result.ReceivedAt!.Value, result.NewCluster);
                return "linked";
        }
    }

    /// <summary>Sends a message that failed to its next retry tier, or to the DLQ after the last one; returns the outcome.</summary>
    private async Task<string> RetryOrDeadLetterAsync(BatchMessage message, string reason, CancellationToken stoppingToken)
    {
        var tier = await router.RetryOrDeadLetterAsync(message.Delivery.Properties, message.Delivery.Body, reason, stoppingToken);
        LogProcessingFailed(logger, message.Event.EventId, tier ?? "DLQ", reason);
        if (tier is null)
        {
            return "dead_lettered";
        }

        metrics.Retried(tier);
        return "retried";
    }

    private static Activity? StartProcessActivity(PendingDelivery delivery)
    {
        var activity = ActivitySource.StartActivity("auth error process", ActivityKind.Consumer, delivery.TraceContext);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.destination.name", AuthErrorTopology.RecordedQueue);
        activity?.SetTag("messaging.message.id", delivery.Properties.MessageId);
        return activity;
    }

    /// <summary>A well-formed auth.error.recorded.v1: known type, JSON with ids, message_id equal to the event id.</summary>
    private static bool TryRead(PendingDelivery delivery, out AuthErrorRecorded recorded, out string problem)
    {
        recorded = null!;
        if (delivery.Properties.Type is { } type && type != AuthErrorTopology.RecordedEventType)
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
            _ when delivery.Properties.MessageId is { } messageId && messageId != recorded.EventId.ToString() => "message_id differs from eventId",
            _ => "",
        };
        return problem.Length == 0;
    }

    private async Task TryNackAsync(DeliveryAcknowledger acks, ulong deliveryTag)
    {
        try
        {
            await acks.NackAsync(deliveryTag);
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.AlreadyClosedException or ObjectDisposedException)
        {
            // The channel is gone; the broker requeues what it had not seen acked.
            LogRoutingFailed(logger, null, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue}: Consumer:Prefetch={Prefetch}, Consumer:Concurrency={Concurrency} batches in flight, Consumer:BatchSize={BatchSize}, Consumer:BatchLinger={BatchLinger}")]
    private static partial void LogConsuming(ILogger logger, string queue, ushort prefetch, int concurrency, int batchSize, TimeSpan batchLinger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} failed; linking its messages one by one: {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} failed; sent to {Tier}: {Reason}")]
    private static partial void LogProcessingFailed(ILogger logger, Guid eventId, string tier, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} dead-lettered as {Reason}: {Detail}")]
    private static partial void LogPoison(ILogger logger, string? messageId, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not route message {MessageId}; requeued: {Reason}")]
    private static partial void LogRoutingFailed(ILogger logger, string? messageId, string reason);
}

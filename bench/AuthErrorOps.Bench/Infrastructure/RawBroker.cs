using System.Diagnostics;
using AuthErrorOps.Core.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>A message as published: id, type, body.</summary>
public sealed record OutgoingMessage(string MessageId, string Type, ReadOnlyMemory<byte> Body);

/// <summary>
/// RabbitMQ with nothing of ours in between: confirmed publishes with a fixed in-flight window,
/// and a plain consume-and-ack. The stage baselines, and how the benchmarks fill queues.
/// </summary>
public static class RawBroker
{
    public const string BaselineExchange = "bench.baseline.exchange";
    public const string BaselineQueue = "bench.baseline.q";

    /// <summary>A queue of the same kind as the main queue (quorum, at-least-once dead-lettering, delivery limit), on its own exchange.</summary>
    public static async Task DeclareBaselineQueueAsync(IConnection connection, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var arguments = new Dictionary<string, object?> { ["x-dead-letter-exchange"] = AuthErrorTopology.DeadLetterExchange };
        if (MessagingTopology.SupportsQuorumDeadLettering(connection))
        {
            arguments["x-queue-type"] = "quorum";
            arguments["x-dead-letter-strategy"] = "at-least-once";
            arguments["x-overflow"] = "reject-publish";
            arguments["x-delivery-limit"] = MessagingTopology.MainQueueDeliveryLimit;
        }

        await channel.ExchangeDeclareAsync(BaselineExchange, ExchangeType.Topic, durable: true, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(BaselineQueue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(BaselineQueue, BaselineExchange, AuthErrorTopology.RecordedEventType, cancellationToken: cancellationToken);
    }

    public static async Task DeleteBaselineQueueAsync(IConnection connection, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeleteAsync(BaselineQueue, cancellationToken: cancellationToken);
        await channel.ExchangeDeleteAsync(BaselineExchange, cancellationToken: cancellationToken);
    }

    /// <summary>Publishes persistent, mandatory messages with at most <paramref name="window"/> unconfirmed; returns the elapsed time.</summary>
    public static async Task<TimeSpan> PublishConfirmedAsync(IConnection connection, string exchange, string routingKey, IReadOnlyList<OutgoingMessage> messages,
        int window, Action<int>? confirmed, CancellationToken cancellationToken, IDictionary<string, object?>? headers = null)
    {
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null),
            cancellationToken);
        using var inFlight = new SemaphoreSlim(window);
        var done = 0;
        var started = Stopwatch.GetTimestamp();

        async Task PublishOneAsync(OutgoingMessage message)
        {
            try
            {
                var properties = new BasicProperties
                {
                    MessageId = message.MessageId,
                    Type = message.Type,
                    ContentType = "application/json",
                    DeliveryMode = DeliveryModes.Persistent,
                    Headers = headers,
                };
                await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, message.Body, cancellationToken);
                confirmed?.Invoke(Interlocked.Increment(ref done));
            }
            finally
            {
                inFlight.Release();
            }
        }

        var pending = new List<Task>(messages.Count);
        foreach (var message in messages)
        {
            await inFlight.WaitAsync(cancellationToken);
            pending.Add(PublishOneAsync(message));
        }

        await Task.WhenAll(pending);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>basic.consume with a prefetch, each delivery acked on its own, until <paramref name="count"/> were acked; returns the elapsed time.</summary>
    public static async Task<TimeSpan> ConsumeAsync(IConnection connection, string queue, int count, ushort prefetch, int concurrency,
        Action<int>? acked, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false, consumerDispatchConcurrency: (ushort)concurrency), cancellationToken);
        await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = 0;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            var n = Interlocked.Increment(ref done);
            acked?.Invoke(n);
            if (n >= count)
            {
                all.TrySetResult();
            }
        };
        var started = Stopwatch.GetTimestamp();
        var tag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
        await all.Task.WaitAsync(timeout, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
        return elapsed;
    }

    /// <summary>Messages ready in a queue (passive declare; quorum queue counts can lag a little).</summary>
    public static async Task<uint> DepthAsync(IChannel channel, string queue, CancellationToken cancellationToken) =>
        (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
}

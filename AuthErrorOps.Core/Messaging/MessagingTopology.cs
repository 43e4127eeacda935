using System.Text;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace AuthErrorOps.Core.Messaging;

/// <summary>
/// Declares the exchanges and queues of DESIGN §6, idempotently: every service that publishes
/// or consumes calls it at start-up. Queues that dead-letter are quorum queues with
/// at-least-once dead-lettering, so no hop of the retry loop can drop a message.
/// </summary>
public sealed class MessagingTopology(IOptions<MessagingOptions> options)
{
    // Messages a consumer crashes on (rather than rejects) go to the DLQ after this many deliveries.
    public const int MainQueueDeliveryLimit = 20;

    public async Task DeclareAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var quorum = SupportsQuorumDeadLettering(connection);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);

        await channel.ExchangeDeclareAsync(AuthErrorTopology.Exchange, ExchangeType.Topic, durable: true, cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(AuthErrorTopology.RetryExchange, ExchangeType.Direct, durable: true, cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(AuthErrorTopology.DeadLetterExchange, ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken);

        var mainArguments = DeadLetteringQueue(quorum, AuthErrorTopology.DeadLetterExchange, deadLetterRoutingKey: null);
        if (quorum)
        {
            mainArguments["x-delivery-limit"] = MainQueueDeliveryLimit;
        }

        await DeclareQueueAsync(channel, AuthErrorTopology.RecordedQueue, mainArguments, cancellationToken);
        await channel.QueueBindAsync(AuthErrorTopology.RecordedQueue, AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType, cancellationToken: cancellationToken);

        foreach (var delay in options.Value.EffectiveRetryDelays)
        {
            var tier = AuthErrorTopology.RetryTierName(delay);
            var queue = AuthErrorTopology.RetryQueue(delay);
            var arguments = DeadLetteringQueue(quorum, AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType);
            arguments["x-message-ttl"] = (long)delay.TotalMilliseconds;
            await DeclareQueueAsync(channel, queue, arguments, cancellationToken);
            await channel.QueueBindAsync(queue, AuthErrorTopology.RetryExchange, tier, cancellationToken: cancellationToken);
        }

        var deadLetterArguments = new Dictionary<string, object?>();
        if (quorum)
        {
            deadLetterArguments["x-queue-type"] = "quorum";
        }

        await DeclareQueueAsync(channel, AuthErrorTopology.DeadLetterQueue, deadLetterArguments, cancellationToken);
        await channel.QueueBindAsync(AuthErrorTopology.DeadLetterQueue, AuthErrorTopology.DeadLetterExchange, routingKey: "", cancellationToken: cancellationToken);
    }

    private static Dictionary<string, object?> DeadLetteringQueue(bool quorum, string deadLetterExchange, string? deadLetterRoutingKey)
    {
        var arguments = new Dictionary<string, object?> { ["x-dead-letter-exchange"] = deadLetterExchange };
        if (deadLetterRoutingKey is not null)
        {
            arguments["x-dead-letter-routing-key"] = deadLetterRoutingKey;
        }

        if (quorum)
        {
            arguments["x-queue-type"] = "quorum";
            arguments["x-dead-letter-strategy"] = "at-least-once";
            arguments["x-overflow"] = "reject-publish";
        }

        return arguments;
    }

    private static Task DeclareQueueAsync(IChannel channel, string queue, IDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);

    /// <summary>At-least-once dead-lettering of quorum queues needs RabbitMQ 3.10 or later.</summary>
    public static bool SupportsQuorumDeadLettering(IConnection connection)
    {
        if (connection.ServerProperties is null
            || !connection.ServerProperties.TryGetValue("version", out var raw)
            || raw is not byte[] bytes)
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(bytes);
        var numeric = new string(text.TakeWhile(c => char.IsDigit(c) || c == '.').ToArray());
        return Version.TryParse(numeric, out var version) && version >= new Version(3, 10);
    }
}

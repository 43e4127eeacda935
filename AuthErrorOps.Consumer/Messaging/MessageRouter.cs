using AuthErrorOps.Core.Messaging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace AuthErrorOps.Consumer.Messaging;

/// <summary>
/// Sends a failed delivery on: to the next retry tier (TTL queue that dead-letters back to the
/// main queue) with <c>x-retry-count</c>+1, or to the DLX with the reason. Publishes are
/// confirmed before the original is acked, so no hop can lose the message.
/// </summary>
public sealed class MessageRouter(IConnection connection, IOptions<MessagingOptions> messaging) : IAsyncDisposable
{
    public const string ReasonHeader = "x-dlq-reason";
    public const string ErrorHeader = "x-dlq-error";
    private const int MaxErrorLength = 500;

    private readonly ConfirmedPublishChannel _channel = new(connection);

    public IReadOnlyList<TimeSpan> Tiers => messaging.Value.EffectiveRetryDelays;

    /// <summary>The retry count a delivery carries (0 on its first delivery).</summary>
    public static int RetryCountOf(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(AuthErrorTopology.RetryCountHeader, out var value) == true
            ? value switch
            {
                int count => count,
                long count => (int)count,
                byte[] text when int.TryParse(System.Text.Encoding.UTF8.GetString(text), out var count) => count,
                _ => 0,
            }
            : 0;

    /// <summary>Routes to the next tier; returns the tier name, or null when the tiers are exhausted and it went to the DLQ.</summary>
    public async Task<string?> RetryOrDeadLetterAsync(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, string error, CancellationToken cancellationToken)
    {
        var retryCount = RetryCountOf(properties);
        if (retryCount >= Tiers.Count)
        {
            await DeadLetterAsync(properties, body, "retries_exhausted", error, cancellationToken);
            return null;
        }

        var tier = AuthErrorTopology.RetryTierName(Tiers[retryCount]);
        var headers = CopyHeaders(properties);
        headers[AuthErrorTopology.RetryCountHeader] = retryCount + 1;
        headers[ErrorHeader] = Truncate(error);
        await PublishAsync(AuthErrorTopology.RetryExchange, tier, properties, headers, body, cancellationToken);
        return tier;
    }

    public Task DeadLetterAsync(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, string reason, string error, CancellationToken cancellationToken)
    {
        var headers = CopyHeaders(properties);
        headers[ReasonHeader] = reason;
        headers[ErrorHeader] = Truncate(error);
        return PublishAsync(AuthErrorTopology.DeadLetterExchange, "", properties, headers, body, cancellationToken);
    }

    private async Task PublishAsync(string exchange, string routingKey, IReadOnlyBasicProperties original, Dictionary<string, object?> headers,
        ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            MessageId = original.MessageId,
            Type = original.Type,
            ContentType = original.ContentType,
            Timestamp = original.Timestamp,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        var channel = await _channel.GetAsync(cancellationToken);
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, cancellationToken);
    }

    private static Dictionary<string, object?> CopyHeaders(IReadOnlyBasicProperties properties)
    {
        var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
        // The broker's own dead-letter history of earlier hops is not ours to resend.
        headers.Remove("x-death");
        headers.Remove("x-first-death-exchange");
        headers.Remove("x-first-death-queue");
        headers.Remove("x-first-death-reason");
        return headers;
    }

    private static string Truncate(string error) => error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}

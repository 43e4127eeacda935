using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthErrorOps.Consumer.Telemetry;
using AuthErrorOps.Core.DeadLetters;
using AuthErrorOps.Core.Messaging;
using Dapper;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AuthErrorOps.Consumer.Messaging;

/// <summary>
/// Drains <c>auth.error.recorded.q.dlq</c> into the dead_letter_message ledger (reason from our
/// headers or the broker's x-death), marks the auth_error DEAD, then acks. If the ledger
/// write fails the message is not acked: it stays in the DLQ until the database is back.
/// </summary>
public sealed partial class DeadLetterDrainer(
    IConnection connection, DeadLetterLedger ledger, NpgsqlDataSource dataSource, ConsumerMetrics metrics, ILogger<DeadLetterDrainer> logger) : BackgroundService
{
    private const string MarkDeadSql = "UPDATE auth_error SET status = 'DEAD' WHERE id = @AuthErrorId AND status <> 'LINKED'";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await channel.BasicQosAsync(0, 50, global: false, stoppingToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => DrainAsync(channel, delivery, stoppingToken);
        var tag = await channel.BasicConsumeAsync(AuthErrorTopology.DeadLetterQueue, autoAck: false, consumer, stoppingToken);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
        }
    }

    private async Task DrainAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var record = ToRecord(delivery);
        try
        {
            await ledger.UpsertAsync(record, stoppingToken);
            // Only a genuine event that could not be processed marks its error DEAD; a malformed one names nothing reliably.
            if (record.Reason is "retries_exhausted" or "delivery_limit" && AuthErrorIdOf(record.Payload) is { } authErrorId)
            {
                await using var db = await dataSource.OpenConnectionAsync(stoppingToken);
                await db.ExecuteAsync(new CommandDefinition(MarkDeadSql, new { AuthErrorId = authErrorId }, cancellationToken: stoppingToken));
            }

            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            metrics.DeadLettered(record.Reason);
            LogRecorded(logger, record.MessageKey, record.Reason);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            LogLedgerFailed(logger, record.MessageKey, exception.Message);
            // Back to the DLQ, after a pause so a database outage is not a hot loop.
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
    }

    internal static DeadLetterRecord ToRecord(BasicDeliverEventArgs delivery)
    {
        var properties = delivery.BasicProperties;
        var body = delivery.Body.Span;
        IDictionary<string, object?> headers = properties.Headers ?? new Dictionary<string, object?>();
        var deaths = headers.TryGetValue("x-death", out var raw) && raw is IList<object> list ? list.OfType<IDictionary<string, object?>>().ToList() : [];
        var brokerReason = deaths.Count > 0 ? Text(Get(deaths[0], "reason")) : null;
        var reason = Text(Get(headers, MessageRouter.ReasonHeader)) ?? brokerReason ?? "unknown";
        var messageKey = properties.MessageId is { Length: > 0 and <= 100 } id ? id : Convert.ToHexStringLower(SHA256.HashData(body));
        var payload = Encoding.UTF8.GetString(body).Replace("\0", "", StringComparison.Ordinal);
        var summary = new Dictionary<string, object?>
        {
            ["x-retry-count"] = MessageRouter.RetryCountOf(properties),
            ["x-death"] = deaths.Select(death => new { reason = Text(Get(death, "reason")), queue = Text(Get(death, "queue")), count = Get(death, "count") }).ToList(),
            ["routing-key"] = delivery.RoutingKey,
        };
        return new DeadLetterRecord(
            messageKey,
            Guid.TryParse(properties.MessageId, out var eventId) ? eventId : null,
            properties.Type,
            reason,
            Text(Get(headers, MessageRouter.ErrorHeader)) ?? (brokerReason is null ? null : $"dead-lettered by the broker: {brokerReason}"),
            payload.Length > 0 ? payload : null,
            JsonSerializer.Serialize(summary),
            MessageRouter.RetryCountOf(properties));
    }

    private static long? AuthErrorIdOf(string? payload)
    {
        try
        {
            return payload is not null && JsonDocument.Parse(payload).RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("authErrorId", out var id) && id.TryGetInt64(out var value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static object? Get(IDictionary<string, object?> values, string key) => values.TryGetValue(key, out var value) ? value : null;

    private static string? Text(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        null => null,
        _ => value.ToString(),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead letter {MessageKey} recorded ({Reason})")]
    private static partial void LogRecorded(ILogger logger, string messageKey, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record dead letter {MessageKey}; left in the DLQ: {Reason}")]
    private static partial void LogLedgerFailed(ILogger logger, string messageKey, string reason);
}

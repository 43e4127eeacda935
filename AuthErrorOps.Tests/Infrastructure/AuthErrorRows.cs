using System.Text;
using System.Text.Json;
using AuthErrorOps.Core.Messaging;
using Dapper;
using Npgsql;
using RabbitMQ.Client;
using Xunit;

namespace AuthErrorOps.Tests.Infrastructure;

public sealed record StoredRow(long Id, Guid EventId, string StackHash, DateTime OccurredAt);

/// <summary>auth_error rows written straight to a test database, and their events published as the relay would.</summary>
public static class AuthErrorRows
{
    private const string InsertSql = """
        INSERT INTO auth_error (request_id, event_id, request_hash, occurred_at, http_status, error_type, severity,
                                exception_class, stacktrace, stack_hash, fingerprint_version, cluster_title)
        SELECT 'req-' || gen_random_uuid(), gen_random_uuid(), repeat('0', 64),
               timestamptz '2026-11-20T00:00:00Z' + make_interval(secs => g), 401, 'TOKEN_EXPIRED', 'LOW',
               'Acme.Auth.InvalidTokenException', 'at Acme.Auth.Variant' || (g % @Variants) || '.Validate()',
               lpad(to_hex(g % @Variants), 64, '0'), 1, 'InvalidTokenException at Variant' || (g % @Variants) || '.Validate'
        FROM generate_series(1, @Count) AS g
        RETURNING id AS Id, event_id AS EventId, stack_hash AS StackHash, occurred_at AS OccurredAt
        """;

    public static async Task<IReadOnlyList<StoredRow>> InsertAsync(NpgsqlDataSource dataSource, int count, int variants = 1)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        return (await connection.QueryAsync<StoredRow>(InsertSql, new { Count = count, Variants = variants })).ToList();
    }

    public static byte[] Payload(StoredRow row) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        eventId = row.EventId,
        authErrorId = row.Id,
        requestId = "req",
        stackHash = row.StackHash,
        errorType = "TOKEN_EXPIRED",
        occurredAt = row.OccurredAt,
        receivedAt = row.OccurredAt,
    });

    /// <summary>Publishes with confirms, all in flight; <paramref name="body"/> overrides the payload (for poison messages).</summary>
    public static async Task PublishAsync(string amqpUri, IEnumerable<(string? MessageId, string? Type, byte[] Body)> messages)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(amqpUri) }.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null), TestContext.Current.CancellationToken);
        await Task.WhenAll(messages.Select(async message => await channel.BasicPublishAsync(AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType, mandatory: true,
            new BasicProperties { MessageId = message.MessageId, Type = message.Type, Persistent = true, ContentType = "application/json" }, message.Body, TestContext.Current.CancellationToken)));
    }

    public static Task PublishEventsAsync(string amqpUri, IEnumerable<StoredRow> rows) =>
        PublishAsync(amqpUri, rows.Select(row => ((string?)row.EventId.ToString(), (string?)AuthErrorTopology.RecordedEventType, Payload(row))));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

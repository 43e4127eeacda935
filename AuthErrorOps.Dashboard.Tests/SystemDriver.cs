using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthErrorOps.AppHost.Hosting;
using RabbitMQ.Client;

namespace AuthErrorOps.Dashboard.Tests;

/// <summary>Makes the data the pages show, through the system's real entry points.</summary>
internal static class SystemDriver
{
    /// <summary>Reports one auth failure whose cluster title contains <paramref name="marker"/>; returns the auth error id.</summary>
    public static async Task<long> ReportAuthErrorAsync(DistributedApplication app, string marker, CancellationToken cancellationToken)
    {
        using var ingest = app.CreateHttpClient("ingest");
        using var response = await ingest.PostAsJsonAsync("/api/auth-errors", new
        {
            requestId = $"ui-{Guid.NewGuid():N}",
            occurredAt = DateTimeOffset.UtcNow,
            httpStatus = 401,
            exceptionClass = $"Acme.Auth.{marker}Exception",
            exceptionMessage = "token expired",
            stacktrace = $"   at Acme.Auth.{marker}Validator.Validate(String token) in /src/{marker}Validator.cs:line 42",
            sourceService = "login-api",
        }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Ingest refused the auth error: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("authErrorId").GetInt64();
    }

    /// <summary>
    /// Publishes a well-formed auth.error.recorded.v1 for an auth error that does not exist: the
    /// consumer dead-letters it as <c>unknown_auth_error</c>, and since the ledger keeps its payload
    /// and event id, it can be replayed. Returns the event id.
    /// </summary>
    public static async Task<Guid> PublishUnknownAuthErrorEventAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var connectionString = await app.GetConnectionStringAsync("messaging")
            ?? throw new InvalidOperationException("The AppHost has no connection string for 'messaging'.");
        var eventId = Guid.NewGuid();
        var payload = JsonSerializer.Serialize(new
        {
            eventId,
            authErrorId = long.MaxValue - Random.Shared.Next(1000),
            requestId = $"ui-dead-{eventId:N}",
            stackHash = new string('d', 64),
            errorType = "UNKNOWN",
            occurredAt = DateTimeOffset.UtcNow,
            receivedAt = DateTimeOffset.UtcNow,
            traceParent = (string?)null,
            traceState = (string?)null,
        });

        await using var connection = await new ConnectionFactory { Uri = new Uri(connectionString) }.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var properties = new BasicProperties
        {
            MessageId = eventId.ToString(),
            Type = "auth.error.recorded.v1",
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
        };
        await channel.BasicPublishAsync("auth.error.exchange", "auth.error.recorded.v1", mandatory: true, properties, Encoding.UTF8.GetBytes(payload), cancellationToken);
        return eventId;
    }
}

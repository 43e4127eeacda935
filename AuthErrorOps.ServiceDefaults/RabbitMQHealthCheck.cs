using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace AuthErrorOps.ServiceDefaults;

/// <summary>Healthy when the shared connection is open and the broker opens a channel on it.</summary>
internal sealed class RabbitMQHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // Resolved here, not injected: a broker that is down at start-up must not fail the health endpoint itself.
            var connection = services.GetRequiredService<IConnection>();
            if (!connection.IsOpen)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"RabbitMQ connection is closed: {connection.CloseReason?.ReplyText}");
            }

            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "RabbitMQ is not reachable.", exception);
        }
    }
}

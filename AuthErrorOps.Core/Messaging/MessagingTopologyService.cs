using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace AuthErrorOps.Core.Messaging;

/// <summary>Declares the topology before the service starts serving or consuming.</summary>
internal sealed partial class MessagingTopologyService(
    IConnection connection, MessagingTopology topology, ILogger<MessagingTopologyService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await topology.DeclareAsync(connection, cancellationToken);
        LogDeclared(logger, MessagingTopology.SupportsQuorumDeadLettering(connection) ? "quorum" : "classic");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Messaging topology declared ({QueueType} queues)")]
    private static partial void LogDeclared(ILogger logger, string queueType);
}

using Microsoft.Extensions.Options;

namespace AuthErrorOps.Relay.Outbox;

/// <summary>The name this relay writes into <c>locked_by</c>: unique per process, readable in the table.</summary>
public sealed class RelayInstance(IOptions<RelayOptions> options, IConfiguration configuration)
{
    public string Id { get; } = options.Value.InstanceId
        ?? ServiceInstanceId(configuration["OTEL_RESOURCE_ATTRIBUTES"])
        ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    private static string? ServiceInstanceId(string? resourceAttributes) =>
        resourceAttributes?.Split(',')
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Trim() == "service.instance.id" && pair[1].Length > 0)
            .Select(pair => $"{pair[1].Trim()}-{Environment.ProcessId}")
            .FirstOrDefault();
}

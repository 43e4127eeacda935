using System.Collections.Concurrent;
using AuthErrorOps.Dashboard.Resources;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>Stands in for the AppHost: a fixed resource model, scripted command outcomes, and captured console lines.</summary>
internal sealed class FakeResourceService : IResourceService
{
    public List<ResourceSnapshot> Resources { get; } =
    [
        Snapshot("postgres", "postgres", "PostgreSQL", "Running"),
        Snapshot("ingest", "ingest-1", "Project", "Running"),
        Snapshot("consumer", "consumer-1", "Project", "Running"),
        Snapshot("consumer", "consumer-2", "Project", "Exited"),
    ];

    public List<ConsoleLogLine> ConsoleLines { get; } = [];

    public ConcurrentQueue<(string Name, ResourceCommand Command)> Commands { get; } = new();

    public PipelineSource? Pipeline { get; set; }

    public IReadOnlyList<ResourceSnapshot> GetResources() => Resources;

    /// <summary>Unknown names are NotFound; starting a Running instance (or a resource all Running) is a Conflict.</summary>
    public Task<ResourceCommandResult> ExecuteCommandAsync(string name, ResourceCommand command, CancellationToken cancellationToken)
    {
        var targets = Resources.Where(r => r.Name == name || r.InstanceName == name).ToList();
        if (targets.Count == 0)
        {
            return Task.FromResult(new ResourceCommandResult(ResourceCommandStatus.NotFound, $"No resource {name}."));
        }

        if (command == ResourceCommand.Start && targets.All(r => r.State == "Running"))
        {
            return Task.FromResult(new ResourceCommandResult(ResourceCommandStatus.Conflict, $"{name} is already Running."));
        }

        Commands.Enqueue((name, command));
        return Task.FromResult(new ResourceCommandResult(ResourceCommandStatus.Ok));
    }

    public IReadOnlyList<ConsoleLogLine> GetConsoleLogs(string? resource, long afterSequence, int limit) =>
        [.. ConsoleLines
            .Where(line => line.Sequence > afterSequence && (resource is null || line.Resource == resource || line.Resource.StartsWith(resource + "-", StringComparison.Ordinal)))
            .Take(limit)];

    public PipelineSource? GetPipelineSource() => Pipeline;

    private static ResourceSnapshot Snapshot(string name, string instance, string type, string state) =>
        new(name, instance, type, state, state == "Running" ? "Healthy" : null,
            [new ResourceEndpoint("http", "http://localhost:41234")],
            state == "Running" ? 1234 : null,
            state == "Running" ? new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero) : null,
            null,
            [new ResourceEnvironmentVariable("ConnectionStrings__authdb", "Host=localhost;Password=secret", IsSecret: true)]);
}

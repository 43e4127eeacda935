namespace AuthErrorOps.Dashboard.Resources;

/// <summary>
/// What the dashboard asks of the orchestrator that hosts it (the AppHost): the resources, their
/// commands and console output, and where the pipeline's ops API lives. See docs/dashboard.md.
/// </summary>
public interface IResourceService
{
    /// <summary>One row per server, database and project replica, in model order.</summary>
    IReadOnlyList<ResourceSnapshot> GetResources();

    /// <summary>Runs start/stop/restart on a resource (every replica) or on one replica by its instance name.</summary>
    Task<ResourceCommandResult> ExecuteCommandAsync(string name, ResourceCommand command, CancellationToken cancellationToken);

    /// <summary>Captured stdout/stderr lines after <paramref name="afterSequence"/>, oldest first; all resources when <paramref name="resource"/> is null.</summary>
    IReadOnlyList<ConsoleLogLine> GetConsoleLogs(string? resource, long afterSequence, int limit);

    /// <summary>Where the pipeline page reads from; null until ingest and the broker run.</summary>
    PipelineSource? GetPipelineSource();
}

public enum ResourceCommand
{
    Start,
    Stop,
    Restart,
}

/// <param name="Name">The resource: <c>postgres</c>, <c>authdb</c>, <c>messaging</c>, <c>ingest</c>, …</param>
/// <param name="InstanceName">The replica (<c>ingest-1</c>, also its OTel service.instance.id); the resource name for servers.</param>
/// <param name="Type"><c>PostgreSQL</c>, <c>PostgreSQLDatabase</c>, <c>RabbitMQ</c> or <c>Project</c>.</param>
/// <param name="State">NotStarted, Waiting, Starting, Running, Stopping, Exited, FailedToStart.</param>
/// <param name="Health"><c>Healthy</c> or <c>Unhealthy</c> while Running, else null.</param>
public sealed record ResourceSnapshot(
    string Name,
    string InstanceName,
    string Type,
    string State,
    string? Health,
    IReadOnlyList<ResourceEndpoint> Endpoints,
    int? ProcessId,
    DateTimeOffset? StartedAt,
    string? Error,
    IReadOnlyList<ResourceEnvironmentVariable> Environment);

public sealed record ResourceEndpoint(string Name, string Url);

/// <param name="IsSecret">Passwords, keys and connection strings: the UI masks them until revealed.</param>
public sealed record ResourceEnvironmentVariable(string Name, string Value, bool IsSecret);

/// <param name="Status"><c>Ok</c>, <c>NotFound</c> (no such resource or instance) or <c>Conflict</c> (not possible in its state).</param>
public sealed record ResourceCommandResult(ResourceCommandStatus Status, string? Message = null);

public enum ResourceCommandStatus
{
    Ok,
    NotFound,
    Conflict,
}

/// <param name="Resource">The instance that wrote the line (<c>ingest-1</c>, <c>postgres</c>, …).</param>
public sealed record ConsoleLogLine(long Sequence, DateTimeOffset Timestamp, string Resource, string Text, bool IsError);

/// <summary>The Ingest ops API (called server-side with the run's key) and the broker's management API.</summary>
public sealed record PipelineSource(Uri IngestUrl, string ApiKey, Uri? ManagementUrl, string? ManagementUser, string? ManagementPassword);

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>Aspire's resource states.</summary>
public enum ResourceState
{
    NotStarted,
    Waiting,
    Starting,
    Running,
    Stopping,
    Exited,
    FailedToStart,
}

/// <summary>A named part of the application: a server, a database on it, or a project's replicas.</summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    public ResourceState State { get; internal set; } = ResourceState.NotStarted;

    public bool IsHealthy { get; internal set; }

    /// <summary>Resources that must be Running and healthy first (<c>WaitFor</c>).</summary>
    public List<Resource> WaitsFor { get; } = [];

    public string? Error { get; internal set; }

    /// <summary>An existing server named by a configured connection string: used, never started, stopped or restarted.</summary>
    public bool IsExternal { get; internal set; }

    /// <summary>When it last became Running.</summary>
    public DateTimeOffset? StartedAt { get; internal set; }
}

/// <summary>A resource other projects reference by connection string (<c>ConnectionStrings__{name}</c>).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    string? ConnectionString { get; }
}

public sealed class PostgresServerResource(string name, string? dataDirectory) : Resource(name)
{
    public string? DataDirectory { get; } = dataDirectory;

    /// <summary>Where initdb and pg_ctl live; searched for when null.</summary>
    public string? BinDirectory { get; internal set; }

    internal AuthErrorOps.AppHost.Infrastructure.PostgresServer? Server { get; set; }

    public List<PostgresDatabaseResource> Databases { get; } = [];
}

public sealed class PostgresDatabaseResource(string name, PostgresServerResource server) : Resource(name), IResourceWithConnectionString
{
    public PostgresServerResource Server { get; } = server;

    public string? ConnectionString { get; internal set; }
}

public sealed class RabbitMQServerResource(string name, string? dataDirectory) : Resource(name), IResourceWithConnectionString
{
    public string? DataDirectory { get; } = dataDirectory;

    public bool ManagementPlugin { get; internal set; }

    /// <summary>Where rabbitmq-server and rabbitmqctl live; the Debian folder when null.</summary>
    public string? InstallDirectory { get; internal set; }

    public string? ConnectionString { get; internal set; }

    public Uri? ManagementUri { get; internal set; }

    internal AuthErrorOps.AppHost.Infrastructure.RabbitMqServer? Server { get; set; }
}

public sealed class ProjectResource(string name, string projectName) : Resource(name)
{
    /// <summary>The project's assembly name, e.g. <c>AuthErrorOps.Ingest</c>.</summary>
    public string ProjectName { get; } = projectName;

    public int Replicas { get; internal set; } = 1;

    public string? HealthCheckPath { get; internal set; }

    public List<IResourceWithConnectionString> References { get; } = [];

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public List<ProjectReplica> Instances { get; } = [];
}

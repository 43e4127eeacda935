namespace AuthErrorOps.AppHost.Hosting;

/// <summary>The code-first model Aspire users know: add resources, wire them, then Build().</summary>
public sealed class DistributedApplicationBuilder
{
    internal DistributedApplicationBuilder(DistributedApplicationOptions options) => Options = options;

    public DistributedApplicationOptions Options { get; }

    public List<Resource> Resources { get; } = [];

    public ResourceBuilder<PostgresServerResource> AddPostgres(string name) =>
        Add(new PostgresServerResource(name, Options.DataDirectory is { } data ? Path.Combine(data, name) : null));

    public ResourceBuilder<RabbitMQServerResource> AddRabbitMQ(string name) =>
        Add(new RabbitMQServerResource(name, Options.DataDirectory is { } data ? Path.Combine(data, name) : null));

    /// <summary>A project of this solution by assembly name (Aspire generates <c>Projects.*</c> types for this).</summary>
    public ResourceBuilder<ProjectResource> AddProject(string name, string projectName) => Add(new ProjectResource(name, projectName));

    public DistributedApplication Build() => new(this);

    internal ResourceBuilder<T> Add<T>(T resource) where T : Resource
    {
        if (Resources.Any(existing => existing.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }

        Resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }
}

public sealed record DistributedApplicationOptions
{
    /// <summary>Keeps PostgreSQL and RabbitMQ data here across runs; ephemeral when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>How long a resource may take to become healthy before it is FailedToStart.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Extra environment for every project (tests override settings this way).</summary>
    public Dictionary<string, string> ProjectEnvironment { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Where resource state changes and project warnings go.</summary>
    public TextWriter Console { get; init; } = System.Console.Out;
}

public sealed class ResourceBuilder<T>(DistributedApplicationBuilder builder, T resource) where T : Resource
{
    public T Resource { get; } = resource;

    public DistributedApplicationBuilder ApplicationBuilder { get; } = builder;
}

public static class ResourceBuilderExtensions
{
    public static ResourceBuilder<PostgresDatabaseResource> AddDatabase(this ResourceBuilder<PostgresServerResource> server, string name)
    {
        var database = server.ApplicationBuilder.Add(new PostgresDatabaseResource(name, server.Resource));
        database.Resource.WaitsFor.Add(server.Resource);
        server.Resource.Databases.Add(database.Resource);
        return database;
    }

    public static ResourceBuilder<RabbitMQServerResource> WithManagementPlugin(this ResourceBuilder<RabbitMQServerResource> rabbit)
    {
        rabbit.Resource.ManagementPlugin = true;
        return rabbit;
    }

    public static ResourceBuilder<ProjectResource> WithReference<TReference>(this ResourceBuilder<ProjectResource> project, ResourceBuilder<TReference> reference)
        where TReference : Resource, IResourceWithConnectionString
    {
        project.Resource.References.Add(reference.Resource);
        return project;
    }

    public static ResourceBuilder<T> WaitFor<T, TDependency>(this ResourceBuilder<T> resource, ResourceBuilder<TDependency> dependency)
        where T : Resource where TDependency : Resource
    {
        resource.Resource.WaitsFor.Add(dependency.Resource);
        return resource;
    }

    public static ResourceBuilder<ProjectResource> WithHttpHealthCheck(this ResourceBuilder<ProjectResource> project, string path)
    {
        project.Resource.HealthCheckPath = path;
        return project;
    }

    public static ResourceBuilder<ProjectResource> WithReplicas(this ResourceBuilder<ProjectResource> project, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        project.Resource.Replicas = replicas;
        return project;
    }

    public static ResourceBuilder<ProjectResource> WithEnvironment(this ResourceBuilder<ProjectResource> project, string name, string value)
    {
        project.Resource.Environment[name] = value;
        return project;
    }
}

using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

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
    /// <summary>Keeps PostgreSQL and RabbitMQ data here across runs (<c>AppHost:DataDirectory</c>); ephemeral when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>How long a resource may take to become healthy before it is FailedToStart.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Extra environment for every project (tests override settings this way).</summary>
    public Dictionary<string, string> ProjectEnvironment { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Where resource state changes and project warnings go.</summary>
    public TextWriter Console { get; init; } = System.Console.Out;

    /// <summary>The dashboard and its control API (<c>AppHost:Dashboard:*</c>, <c>AppHost:BrowserToken</c>).</summary>
    public DashboardSettings Dashboard { get; init; } = new();

    /// <summary>
    /// Existing servers to use instead of starting local ones (<c>ConnectionStrings:authdb</c>,
    /// <c>ConnectionStrings:messaging</c>): a database or broker named here is not started.
    /// </summary>
    public Dictionary<string, string> ConnectionStrings { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The run's keys: configured, or generated once per run.</summary>
    public RunSecrets Secrets { get; init; } = new();

    /// <summary>Settings from appsettings.json, the environment and the command line, as Aspire's AppHost reads them.</summary>
    public static DistributedApplicationOptions FromConfiguration(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var appHost = configuration.GetSection("AppHost");
        var dashboard = appHost.GetSection("Dashboard");
        var defaults = new DashboardSettings();
        var secrets = new RunSecrets();
        return new DistributedApplicationOptions
        {
            DataDirectory = appHost["DataDirectory"],
            ConnectionStrings = configuration.GetSection("ConnectionStrings").GetChildren()
                .Where(entry => !string.IsNullOrWhiteSpace(entry.Value))
                .ToDictionary(entry => entry.Key, entry => entry.Value!, StringComparer.Ordinal),
            Dashboard = new DashboardSettings
            {
                Enabled = dashboard.GetValue("Enabled", defaults.Enabled),
                UiPort = dashboard.GetValue("UiPort", defaults.UiPort),
                OtlpGrpcPort = dashboard.GetValue("OtlpGrpcPort", defaults.OtlpGrpcPort),
                OtlpHttpPort = dashboard.GetValue("OtlpHttpPort", defaults.OtlpHttpPort),
                BrowserToken = appHost["BrowserToken"],
            },
            Secrets = new RunSecrets
            {
                ApiKey = appHost["ApiKey"] ?? secrets.ApiKey,
                PiiHashKey = appHost["PiiHashKey"] ?? secrets.PiiHashKey,
                OtlpApiKey = appHost["OtlpApiKey"] ?? secrets.OtlpApiKey,
                BrowserToken = secrets.BrowserToken,
            },
        };
    }
}

/// <summary>Where the dashboard listens; port 0 picks a free one (tests).</summary>
public sealed record DashboardSettings
{
    public bool Enabled { get; init; } = true;

    public int UiPort { get; init; } = 18888;

    public int OtlpGrpcPort { get; init; } = 18889;

    public int OtlpHttpPort { get; init; } = 18890;

    /// <summary><c>AppHost:BrowserToken</c>; generated and printed when null.</summary>
    public string? BrowserToken { get; init; }
}

/// <summary>Secrets generated per run unless configured: the ingest API key, the PII hashing key, the OTLP key and the browser token.</summary>
public sealed record RunSecrets
{
    public string ApiKey { get; init; } = NewSecret();

    public string PiiHashKey { get; init; } = NewSecret();

    public string OtlpApiKey { get; init; } = NewSecret();

    public string BrowserToken { get; init; } = NewSecret();

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
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

    /// <summary>Where the PostgreSQL server binaries are (searched on PATH and in /usr/lib/postgresql otherwise).</summary>
    public static ResourceBuilder<PostgresServerResource> WithBinDirectory(this ResourceBuilder<PostgresServerResource> postgres, string path)
    {
        postgres.Resource.BinDirectory = path;
        return postgres;
    }

    /// <summary>Where the RabbitMQ scripts are (<c>/usr/lib/rabbitmq/bin</c> otherwise).</summary>
    public static ResourceBuilder<RabbitMQServerResource> WithInstallDirectory(this ResourceBuilder<RabbitMQServerResource> rabbit, string path)
    {
        rabbit.Resource.InstallDirectory = path;
        return rabbit;
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

using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Core.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>A service the benchmark needs running: an AppHost project and how many replicas.</summary>
public sealed record ServiceSpec(string Name, string ProjectName, int Replicas = 1)
{
    public static ServiceSpec Ingest => new("ingest", "AuthErrorOps.Ingest");

    public static ServiceSpec Relay(int replicas = 1) => new("relay", "AuthErrorOps.Relay", replicas);

    public static ServiceSpec Consumer(int replicas = 1) => new("consumer", "AuthErrorOps.Consumer", replicas);
}

/// <summary>
/// PostgreSQL and RabbitMQ for one benchmark, started through the AppHost model (durable
/// PostgreSQL, as the AppHost runs it) or given by connection string; the schema and the
/// topology are in place once <see cref="StartAsync"/> returns. Services are started later,
/// so a stage can be pre-filled before the service that drains it exists.
/// </summary>
public sealed class BenchSystem : IAsyncDisposable
{
    // Telemetry is off in benchmarks, and the dashboard's fixed ports would clash with a developer's running AppHost.
    private static readonly DashboardSettings NoDashboard = new() { Enabled = false };

    /// <summary>What every service started by the benchmark runs with: quiet logs, no telemetry, no rate limit.</summary>
    public static readonly IReadOnlyDictionary<string, string> QuietServiceEnvironment = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["OTEL_SDK_DISABLED"] = "true",
        ["OTEL_TRACES_SAMPLER"] = "always_off",
        ["Ingest__RateLimitPerSecond"] = "0",
        ["Ingest__MaxBatchSize"] = "1000",
    };

    private readonly StringWriter _appHostLog = new();
    private readonly List<DistributedApplication> _applications = [];

    private BenchSystem(BenchTarget target) => Target = target;

    public BenchTarget Target { get; }

    public string AuthDb { get; private set; } = "";

    public string Messaging { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public IConnection Broker { get; private set; } = null!;

    public ProcessMeter Meter { get; } = new();

    /// <summary>Ingest's address and key once it runs (started here or given).</summary>
    public Uri? IngestUrl { get; private set; }

    public string? ApiKey { get; private set; }

    /// <summary>What the AppHost printed (state changes, service warnings), for error messages.</summary>
    public string AppHostLog => _appHostLog.ToString();

    /// <param name="retryDelays">The consumer's retry tiers, declared here as the services will declare them.</param>
    public static async Task<BenchSystem> StartAsync(BenchTarget target, IReadOnlyList<TimeSpan>? retryDelays, CancellationToken cancellationToken)
    {
        var system = new BenchSystem(target);
        try
        {
            await system.StartServersAsync(retryDelays, cancellationToken);
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private async Task StartServersAsync(IReadOnlyList<TimeSpan>? retryDelays, CancellationToken cancellationToken)
    {
        if (Target.AuthDb is null || Target.Messaging is null)
        {
            var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Console = TextWriter.Synchronized(_appHostLog), Dashboard = NoDashboard });
            builder.AddPostgres("postgres").AddDatabase("authdb");
            builder.AddRabbitMQ("messaging");
            var servers = builder.Build();
            _applications.Add(servers);
            await servers.StartAsync(cancellationToken);
            AuthDb = Target.AuthDb ?? (await servers.GetConnectionStringAsync("authdb"))!;
            Messaging = Target.Messaging ?? (await servers.GetConnectionStringAsync("messaging"))!;
        }
        else
        {
            AuthDb = Target.AuthDb;
            Messaging = Target.Messaging;
        }

        // Prepared on first use and kept open, as the services' connections are: the raw baselines
        // compare like with like.
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(AuthDb)
        {
            MaxPoolSize = 300,
            MaxAutoPrepare = NpgsqlClientExtensions.DefaultMaxAutoPrepare,
            ConnectionIdleLifetime = NpgsqlClientExtensions.DefaultConnectionIdleLifetimeSeconds,
        }.ConnectionString);
        Broker = await new ConnectionFactory { Uri = new Uri(Messaging), ClientProvidedName = "autherrorops-bench" }.CreateConnectionAsync(cancellationToken);
        await new SchemaMigrator(DataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(cancellationToken);
        var messaging = new MessagingOptions { RetryDelays = retryDelays?.ToArray() };
        await new MessagingTopology(Options.Create(messaging)).DeclareAsync(Broker, cancellationToken);
        await Meter.AddServersAsync(DataSource, Messaging, cancellationToken);

        if (Target.ServicesAreExternal)
        {
            IngestUrl = new Uri(Target.IngestUrl!);
            ApiKey = Target.ApiKey;
            foreach (var (name, processId) in Target.ServiceProcesses)
            {
                Meter.AddService(name, processId);
            }
        }
    }

    /// <summary>
    /// Starts services from their build output against this system's servers, through the AppHost
    /// model (one application per call). Nothing is started when the services are external.
    /// </summary>
    public async Task StartServicesAsync(IReadOnlyList<ServiceSpec> services, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        if (Target.ServicesAreExternal)
        {
            return;
        }

        var projectEnvironment = new Dictionary<string, string>(QuietServiceEnvironment, StringComparer.Ordinal);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            projectEnvironment[key] = value;
        }

        DistributedApplication application;
        for (var attempt = 1; ; attempt++)
        {
            application = BuildServices(services, projectEnvironment);
            _applications.Add(application);
            try
            {
                await application.StartAsync(cancellationToken);
                break;
            }
            catch (DistributedApplicationException exception) when (attempt < 2)
            {
                // This AppHost version gives up when one health probe times out (5 s) on a loaded machine: try once more.
                _appHostLog.WriteLine($"start failed ({exception.Message}); retrying once");
                _applications.Remove(application);
                await application.DisposeAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new InvalidOperationException($"The services did not start: {exception.Message}\nAppHost output:\n{AppHostLog}", exception);
            }
        }

        foreach (var project in application.Resources.OfType<ProjectResource>())
        {
            foreach (var instance in project.Instances)
            {
                Meter.AddService(instance.Name, instance.ProcessId);
            }
        }

        if (services.Any(service => service.Name == ServiceSpec.Ingest.Name))
        {
            IngestUrl = ((ProjectResource)application.GetResource(ServiceSpec.Ingest.Name)).Instances[0].Url;
            ApiKey = application.ApiKey;
        }
    }

    private DistributedApplication BuildServices(IReadOnlyList<ServiceSpec> services, Dictionary<string, string> projectEnvironment)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Console = TextWriter.Synchronized(_appHostLog),
            ProjectEnvironment = projectEnvironment,
            Dashboard = NoDashboard,
        });
        var authdb = new ServerConnection("authdb", AuthDb);
        var messaging = new ServerConnection("messaging", Messaging);
        foreach (var service in services)
        {
            var project = builder.AddProject(service.Name, service.ProjectName).WithHttpHealthCheck("/health").WithReplicas(service.Replicas);
            project.Resource.References.Add(authdb);
            project.Resource.References.Add(messaging);
        }

        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }

        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        // Services first, servers last.
        foreach (var application in Enumerable.Reverse(_applications))
        {
            await application.DisposeAsync();
        }

        _applications.Clear();
    }

    /// <summary>A server that is already running, referenced by connection string like an AppHost resource.</summary>
    private sealed class ServerConnection(string name, string connectionString) : Resource(name), IResourceWithConnectionString
    {
        public string? ConnectionString { get; } = connectionString;
    }
}

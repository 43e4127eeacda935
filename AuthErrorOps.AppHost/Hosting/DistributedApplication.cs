using System.Reflection;
using System.Runtime.InteropServices;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Dashboard;
using AuthErrorOps.Dashboard.Resources;

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>
/// Runs the model: the dashboard first, then servers through the local runners and projects as
/// child processes from their build output, each started once what it waits for is Running and
/// healthy, within a timeout that names the resource. Watches health while running, runs
/// start/stop/restart commands, and stops everything in reverse order.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private static readonly TimeSpan HealthProbeInterval = TimeSpan.FromSeconds(2);

    // Aspire's cadence: a healthy project is checked every 30 s, one that is not (yet) healthy at every tick. /health
    // runs every check (a query, a broker channel opened and closed); polled every 2 s, that path was hot enough to be
    // recompiled twice in the first two minutes, in every service at once (docs/performance.md, "Night of 4 December").
    internal static readonly TimeSpan HealthyProbeInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProjectStopGrace = TimeSpan.FromSeconds(10);

    private readonly DistributedApplicationBuilder _builder;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly List<Resource> _started = [];
    private readonly SemaphoreSlim _commandGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _healthMonitor;

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        _builder = builder;
        ResourceService = new AppHostResourceService(this);
    }

    /// <summary>Aspire's <c>DistributedApplication.CreateBuilder(args)</c>: settings from appsettings.json, the environment (<c>AppHost__…</c>) and the command line.</summary>
    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(DistributedApplicationOptions.FromConfiguration(args));

    public static DistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions? options = null) => new(options ?? new DistributedApplicationOptions());

    public IReadOnlyList<Resource> Resources => _builder.Resources;

    public DistributedApplicationOptions Options => _builder.Options;

    /// <summary>Every resource's stdout/stderr (and the AppHost's notes about them).</summary>
    public ConsoleLogStore ResourceLogs { get; } = new();

    /// <summary>What the dashboard's control API calls.</summary>
    public IResourceService ResourceService { get; }

    /// <summary>The dashboard, once started (null when disabled).</summary>
    public DashboardHost? Dashboard { get; private set; }

    /// <summary>The <c>X-Api-Key</c> the Ingest replicas accept in this run.</summary>
    public string ApiKey => Options.ProjectEnvironment.GetValueOrDefault("Ingest__ApiKeys__0") ?? Options.Secrets.ApiKey;

    /// <summary>The dashboard's and control API's token.</summary>
    public string BrowserToken => Options.Dashboard.BrowserToken ?? Options.Secrets.BrowserToken;

    private TextWriter Console => Options.Console;

    public Resource GetResource(string name) =>
        Resources.FirstOrDefault(resource => resource.Name == name) ?? throw new ArgumentException($"No resource named '{name}'.", nameof(name));

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Options.Dashboard.Enabled)
        {
            await StartDashboardAsync(cancellationToken);
        }

        var pending = Resources.ToList();
        foreach (var resource in pending)
        {
            Transition(resource, ResourceState.Waiting);
        }

        var running = new List<Task>();
        while (pending.Count > 0)
        {
            var ready = pending.Where(resource => resource.WaitsFor.All(dependency => dependency.State == ResourceState.Running && dependency.IsHealthy)).ToList();
            foreach (var resource in ready)
            {
                pending.Remove(resource);
                running.Add(StartResourceAsync(resource, cancellationToken));
            }

            // Wait for something to finish starting (or fail), then look again.
            var finished = await Task.WhenAny(running);
            running.Remove(finished);
            if (finished.IsFaulted || finished.IsCanceled)
            {
                // Let the others finish starting, so that stopping the app stops them too.
                await Task.WhenAll(running).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            await finished;
        }

        await Task.WhenAll(running);
        _healthMonitor = MonitorHealthAsync(_stopping.Token);
        Console.WriteLine("Distributed application started. Press Ctrl+C to shut down.");
    }

    private async Task StartDashboardAsync(CancellationToken cancellationToken)
    {
        var settings = Options.Dashboard;
        try
        {
            Dashboard = await DashboardHost.StartAsync(
                new DashboardOptions
                {
                    BrowserToken = BrowserToken,
                    OtlpApiKey = Options.Secrets.OtlpApiKey,
                    UiPort = settings.UiPort,
                    OtlpGrpcPort = settings.OtlpGrpcPort,
                    OtlpHttpPort = settings.OtlpHttpPort,
                },
                ResourceService,
                cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new DistributedApplicationException($"'dashboard' failed to start: {exception.Message}", exception);
        }

        Console.WriteLine($"{DateTime.Now:HH:mm:ss} dashboard: {Dashboard.UiUrl}  (OTLP gRPC {Dashboard.OtlpGrpcUrl}, OTLP HTTP {Dashboard.OtlpHttpUrl})");
        Console.WriteLine($"{DateTime.Now:HH:mm:ss} Login to the dashboard at {Dashboard.LoginUrl}");
    }

    private async Task StartResourceAsync(Resource resource, CancellationToken cancellationToken)
    {
        Transition(resource, ResourceState.Starting);
        _started.Add(resource);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.StartTimeout);
        try
        {
            switch (resource)
            {
                case var existing when IsConfiguredElsewhere(existing):
                    await UseExistingServerAsync(existing, timeout.Token);
                    break;
                case PostgresServerResource postgres:
                    postgres.Server = await PostgresServer.StartAsync(
                        new PostgresServerOptions { DataDirectory = postgres.DataDirectory, BinDirectory = postgres.BinDirectory }, cancellationToken: timeout.Token);
                    if (await postgres.Server.DescribeSharedMemoryAsync(timeout.Token) is { } memory)
                    {
                        Note(postgres.Name, "shared memory", memory);
                    }

                    postgres.StartedAt = DateTimeOffset.UtcNow;
                    break;
                case PostgresDatabaseResource database:
                    await database.Server.Server!.CreateDatabaseAsync(database.Name, timeout.Token);
                    database.ConnectionString = database.Server.Server.GetConnectionString(database.Name);
                    database.StartedAt = DateTimeOffset.UtcNow;
                    break;
                case RabbitMQServerResource rabbit:
                    rabbit.Server = await RabbitMqServer.StartAsync(
                        new RabbitMqServerOptions { DataDirectory = rabbit.DataDirectory, ManagementPlugin = rabbit.ManagementPlugin, InstallDirectory = rabbit.InstallDirectory ?? new RabbitMqServerOptions().InstallDirectory },
                        cancellationToken: timeout.Token);
                    rabbit.ConnectionString = rabbit.Server.GetConnectionString();
                    rabbit.ManagementUri = rabbit.ManagementPlugin ? rabbit.Server.ManagementUri : null;
                    rabbit.StartedAt = DateTimeOffset.UtcNow;
                    break;
                case ProjectResource project:
                    CreateReplicas(project);
                    await Task.WhenAll(project.Instances.Select(replica => StartReplicaAsync(replica, timeout.Token)));
                    break;
            }

            resource.IsHealthy = true;
            Transition(resource, ResourceState.Running, Describe(resource));
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            resource.Error = exception is OperationCanceledException
                ? $"'{resource.Name}' did not become healthy within {Options.StartTimeout.TotalSeconds:0} s."
                : $"'{resource.Name}' failed to start: {exception.Message}";
            Transition(resource, ResourceState.FailedToStart, resource.Error);
            throw new DistributedApplicationException(resource.Error, exception);
        }
    }

    private bool IsConfiguredElsewhere(Resource resource) => resource switch
    {
        PostgresServerResource postgres => postgres.Databases.Count > 0 && postgres.Databases.All(IsConfiguredElsewhere),
        PostgresDatabaseResource or RabbitMQServerResource => Options.ConnectionStrings.ContainsKey(resource.Name),
        _ => false,
    };

    /// <summary>A configured connection string stands for the server: checked to answer, never started or stopped here.</summary>
    private async Task UseExistingServerAsync(Resource resource, CancellationToken cancellationToken)
    {
        resource.IsExternal = true;
        resource.StartedAt = DateTimeOffset.UtcNow;
        switch (resource)
        {
            case PostgresDatabaseResource database:
                var connectionString = Options.ConnectionStrings[database.Name];
                await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
                {
                    await connection.OpenAsync(cancellationToken);
                }

                database.ConnectionString = connectionString;
                break;
            case RabbitMQServerResource rabbit:
                var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Options.ConnectionStrings[rabbit.Name]) };
                await using (var connection = await factory.CreateConnectionAsync(cancellationToken))
                {
                    rabbit.ConnectionString = Options.ConnectionStrings[rabbit.Name];
                }

                break;
        }
    }

    private void CreateReplicas(ProjectResource project)
    {
        var assembly = ProjectOutput(project.ProjectName);
        for (var replica = 1; replica <= project.Replicas; replica++)
        {
            var instanceName = $"{project.Name}-{replica}";
            var instance = new ProjectReplica(project, instanceName, assembly, EnvironmentFor(project, instanceName), ResourceLogs);
            instance.ImportantLine += line => Console.WriteLine($"[{instanceName}] {line}");
            instance.ExitedUnexpectedly += OnReplicaExited;
            project.Instances.Add(instance);
        }
    }

    /// <summary>Starts one replica's process and waits until its health check passes; it fails at once if the process exits.</summary>
    private async Task StartReplicaAsync(ProjectReplica replica, CancellationToken cancellationToken)
    {
        ReplicaTransition(replica, ResourceState.Starting);
        replica.StartProcess();
        while (!await replica.IsHealthyAsync(_http, replica.Resource.HealthCheckPath ?? "/alive", cancellationToken))
        {
            if (replica.HasExited)
            {
                ReplicaTransition(replica, ResourceState.FailedToStart);
                throw new InvalidOperationException($"{replica.Name} exited while starting. Its output:\n{replica.FailureExcerpt()}");
            }

            await Task.Delay(200, cancellationToken);
        }

        replica.IsHealthy = true;
        ReplicaTransition(replica, ResourceState.Running, $"{replica.Url} (pid {replica.ProcessId})");
    }

    private async Task StopReplicaAsync(ProjectReplica replica)
    {
        ReplicaTransition(replica, ResourceState.Stopping);
        replica.IsHealthy = false;
        await replica.StopAsync(ProjectStopGrace);
        ReplicaTransition(replica, ResourceState.Exited, replica.ExitCode is { } code ? $"exit code {code}" : null);
    }

    private void OnReplicaExited(ProjectReplica replica)
    {
        // Ctrl+C in a terminal signals the whole foreground process group, so the services may stop on their own first.
        var detail = _stopping.IsCancellationRequested ? $"exit code {replica.ExitCode}" : $"exited unexpectedly (code {replica.ExitCode})";
        ReplicaTransition(replica, ResourceState.Exited, detail);
        RefreshProjectState(replica.Resource);
    }

    /// <summary>Exactly what an Aspire AppHost injects (see docs/aspire-contract.md), plus the run's secrets.</summary>
    private Dictionary<string, string> EnvironmentFor(ProjectResource project, string instanceName)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instanceName}",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
            ["Ingest__ApiKeys__0"] = Options.Secrets.ApiKey,
            ["Ingest__PiiHashKey"] = Options.Secrets.PiiHashKey,
        };
        if (Dashboard is { } dashboard)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = dashboard.OtlpGrpcUrl.ToString().TrimEnd('/');
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"x-otlp-api-key={Options.Secrets.OtlpApiKey}";
        }

        foreach (var reference in project.References)
        {
            environment[$"ConnectionStrings__{reference.Name}"] = reference.ConnectionString
                ?? throw new InvalidOperationException($"'{project.Name}' references '{reference.Name}', which has no connection string yet; add WaitFor.");
        }

        foreach (var (key, value) in project.Environment.Concat(Options.ProjectEnvironment))
        {
            environment[key] = value;
        }

        return environment;
    }

    private static string ProjectOutput(string projectName)
    {
        var metadata = typeof(DistributedApplication).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        var path = Path.Combine(metadata["RepositoryRoot"]!, projectName, "bin", metadata["BuildConfiguration"]!, "net10.0", projectName + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"'{projectName}' is not built at {path}. Build the AppHost (dotnet build AuthErrorOps.AppHost) first.", path);
    }

    /// <summary>Waits until the resource is Running and healthy; fails at once if it failed, and names it on timeout.</summary>
    public async Task WaitForResourceHealthyAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var resource = GetResource(name);
        var limit = timeout ?? Options.StartTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (!(resource.State == ResourceState.Running && resource.IsHealthy))
        {
            if (resource.State is ResourceState.FailedToStart)
            {
                throw new DistributedApplicationException($"Resource '{name}' is {resource.State}: {resource.Error}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Resource '{name}' was not healthy within {limit.TotalSeconds:0} s (state {resource.State}).");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>
    /// Start, stop or restart a resource (every replica, one after the other) or one replica by its
    /// instance name. Servers support restart only: a throwaway server's data lives as long as the run.
    /// </summary>
    public async Task<ResourceCommandResult> ExecuteCommandAsync(string name, ResourceCommand command, CancellationToken cancellationToken = default)
    {
        var replicas = Resources.OfType<ProjectResource>().SelectMany(project => project.Instances).Where(replica => replica.Name == name).ToList();
        var resource = Resources.FirstOrDefault(candidate => candidate.Name == name);
        if (resource is ProjectResource whole)
        {
            replicas = whole.Instances.ToList();
        }
        else if (resource is null && replicas.Count == 0)
        {
            return new ResourceCommandResult(ResourceCommandStatus.NotFound, $"No resource or instance named '{name}'.");
        }

        await _commandGate.WaitAsync(cancellationToken);
        try
        {
            // A command, once begun, runs to its end even if the caller hangs up: a half-done restart helps nobody.
            return replicas.Count > 0
                ? await ExecuteOnReplicasAsync(replicas, command, _stopping.Token)
                : await ExecuteOnServerAsync(resource!, command, _stopping.Token);
        }
        finally
        {
            _commandGate.Release();
        }
    }

    private async Task<ResourceCommandResult> ExecuteOnReplicasAsync(List<ProjectReplica> replicas, ResourceCommand command, CancellationToken cancellationToken)
    {
        var wrongState = command switch
        {
            ResourceCommand.Start => replicas.Where(replica => !replica.HasExited),
            ResourceCommand.Stop => replicas.Where(replica => replica.HasExited),
            _ => [],
        };
        if (wrongState.Any())
        {
            return new ResourceCommandResult(ResourceCommandStatus.Conflict,
                $"Cannot {command.ToString().ToLowerInvariant()} {string.Join(", ", wrongState.Select(r => r.Name))}: {(command == ResourceCommand.Start ? "already running" : "not running")}.");
        }

        foreach (var replica in replicas)
        {
            try
            {
                if (command is ResourceCommand.Stop or ResourceCommand.Restart && !replica.HasExited)
                {
                    await StopReplicaAsync(replica);
                }

                if (command is ResourceCommand.Start or ResourceCommand.Restart)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(Options.StartTimeout);
                    await StartReplicaAsync(replica, timeout.Token);
                }
            }
            catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException)
            {
                ReplicaTransition(replica, ResourceState.FailedToStart, exception.Message);
                return new ResourceCommandResult(ResourceCommandStatus.Conflict, $"{replica.Name} did not become healthy: {exception.Message}");
            }
            finally
            {
                RefreshProjectState(replica.Resource);
            }
        }

        return new ResourceCommandResult(ResourceCommandStatus.Ok);
    }

    private async Task<ResourceCommandResult> ExecuteOnServerAsync(Resource resource, ResourceCommand command, CancellationToken cancellationToken)
    {
        if (resource.IsExternal)
        {
            return new ResourceCommandResult(ResourceCommandStatus.Conflict, $"'{resource.Name}' is an existing server named by ConnectionStrings:{resource.Name}; the AppHost does not manage it.");
        }

        if (command != ResourceCommand.Restart || resource is PostgresDatabaseResource || resource.State != ResourceState.Running)
        {
            return new ResourceCommandResult(ResourceCommandStatus.Conflict,
                $"'{resource.Name}' supports only restart while Running (it is {resource.State}); a throwaway server's data lives as long as the run.");
        }

        Transition(resource, ResourceState.Stopping);
        resource.IsHealthy = false;
        try
        {
            switch (resource)
            {
                case PostgresServerResource { Server: { } postgres }:
                    await postgres.RestartAsync(cancellationToken);
                    break;
                case RabbitMQServerResource { Server: { } rabbit }:
                    await rabbit.RestartAsync(cancellationToken);
                    break;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            resource.Error = exception.Message;
            Transition(resource, ResourceState.FailedToStart, exception.Message);
            return new ResourceCommandResult(ResourceCommandStatus.Conflict, $"'{resource.Name}' did not restart: {exception.Message}");
        }

        resource.StartedAt = DateTimeOffset.UtcNow;
        resource.IsHealthy = true;
        Transition(resource, ResourceState.Running, Describe(resource));
        return new ResourceCommandResult(ResourceCommandStatus.Ok);
    }

    /// <summary>Health while running, as Aspire's health checks: projects by their health endpoint, servers by their process.</summary>
    private async Task MonitorHealthAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(HealthProbeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var project in Resources.OfType<ProjectResource>())
                {
                    foreach (var replica in project.Instances.Where(replica => replica.State == ResourceState.Running))
                    {
                        if (HealthProbeDue(replica.IsHealthy, replica.SinceHealthProbe))
                        {
                            replica.IsHealthy = await replica.IsHealthyAsync(_http, project.HealthCheckPath ?? "/alive", stoppingToken);
                        }
                    }

                    RefreshProjectState(project);
                }

                foreach (var server in Resources.Where(resource => resource.State == ResourceState.Running && ServerProcessId(resource) is { } pid && !LocalProcesses.IsAlive(pid)))
                {
                    server.IsHealthy = false;
                    Transition(server, ResourceState.Exited, "its process died");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Whether a running replica's health endpoint is due a call: at every tick until it is healthy, then every <see cref="HealthyProbeInterval"/>.</summary>
    internal static bool HealthProbeDue(bool healthy, TimeSpan? sinceLastProbe) =>
        !healthy || sinceLastProbe is not { } elapsed || elapsed >= HealthyProbeInterval;

    /// <summary>The server process behind a resource; null for databases and projects.</summary>
    internal static int? ServerProcessId(Resource resource) => resource switch
    {
        PostgresServerResource { Server: { } server } => server.ProcessId,
        RabbitMQServerResource { Server: { } server } => server.ProcessId,
        _ => null,
    };

    /// <summary>A project is Running while any replica runs, and healthy when every replica is.</summary>
    private void RefreshProjectState(ProjectResource project)
    {
        if (project.Instances.Count == 0 || project.State is ResourceState.Waiting or ResourceState.NotStarted)
        {
            return;
        }

        var states = project.Instances.Select(replica => replica.State).ToList();
        var state = states.Contains(ResourceState.Running) ? ResourceState.Running
            : states.Contains(ResourceState.Starting) ? ResourceState.Starting
            : states.Contains(ResourceState.Stopping) ? ResourceState.Stopping
            : states.Contains(ResourceState.FailedToStart) ? ResourceState.FailedToStart
            : ResourceState.Exited;
        project.IsHealthy = project.Instances.All(replica => replica.State == ResourceState.Running && replica.IsHealthy);
        if (project.State != ResourceState.Starting || state != ResourceState.Running || project.IsHealthy)
        {
            Transition(project, state);
        }
    }

    /// <summary>An HttpClient for the first replica of a project, carrying the run's API key.</summary>
    public HttpClient CreateHttpClient(string name)
    {
        var project = GetResource(name) as ProjectResource ?? throw new ArgumentException($"'{name}' is not a project.", nameof(name));
        var client = new HttpClient { BaseAddress = project.Instances[0].Url };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public Task<string?> GetConnectionStringAsync(string name) =>
        Task.FromResult((GetResource(name) as IResourceWithConnectionString)?.ConnectionString);

    /// <summary>Runs until Ctrl+C or SIGTERM, then stops everything.</summary>
    public void Run() => RunAsync().GetAwaiter().GetResult();

    public async Task RunAsync()
    {
        using var shutdown = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            _stopping.Cancel();
            shutdown.Cancel();
        }

        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            await StartAsync(shutdown.Token);
            PrintSummary();
            await Task.Delay(Timeout.Infinite, shutdown.Token);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Ctrl+C.
        }
        catch (DistributedApplicationException exception)
        {
            Console.WriteLine($"error: {exception.Message}");
            Environment.ExitCode = 1;
        }
        finally
        {
            await DisposeAsync();
        }
    }

    private void PrintSummary()
    {
        Console.WriteLine();
        foreach (var resource in Resources)
        {
            Console.WriteLine($"  {resource.Name,-10} {resource.State,-9} {Describe(resource)}");
        }

        Console.WriteLine($"\n  X-Api-Key for ingest (this run): {ApiKey}");
        if (Dashboard is { } dashboard)
        {
            Console.WriteLine($"  Dashboard: {dashboard.LoginUrl}");
        }

        Console.WriteLine();
    }

    private static string Describe(Resource resource) => resource switch
    {
        { IsExternal: true } => "existing server (configured connection string)",
        PostgresServerResource { Server: { } server } => $"127.0.0.1:{server.Port}",
        PostgresDatabaseResource database => $"database {database.Name}",
        RabbitMQServerResource { Server: { } server } rabbit => $"amqp://127.0.0.1:{server.AmqpPort}" + (rabbit.ManagementUri is { } ui ? $"  management {ui}" : ""),
        ProjectResource project => string.Join("  ", project.Instances.Select(i => $"{i.Name} {i.Url} (pid {i.ProcessId})")),
        _ => "",
    };

    private void Transition(Resource resource, ResourceState state, string? detail = null)
    {
        var previous = resource.State;
        resource.State = state;
        if (previous != state)
        {
            Note(resource.Name, $"{previous} -> {state}", detail);
        }
    }

    private void ReplicaTransition(ProjectReplica replica, ResourceState state, string? detail = null)
    {
        var previous = replica.State;
        replica.State = state;
        // A single replica's changes are its resource's; print them separately only when there are several.
        if (previous != state && (replica.Resource.Replicas > 1 || replica.Resource.State is ResourceState.Running))
        {
            Note(replica.Name, $"{previous} -> {state}", detail);
        }
    }

    private void Note(string name, string change, string? detail)
    {
        var line = $"{name}: {change}{(string.IsNullOrEmpty(detail) ? "" : "  " + detail)}";
        Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}");
        ResourceLogs.Append(name, name, "[apphost] " + line, isError: false);
    }

    /// <summary>Stops in reverse start order: projects first, then the databases and servers they use, then the dashboard.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_healthMonitor is { } monitor)
        {
            await monitor;
        }

        foreach (var resource in Enumerable.Reverse(_started).ToList())
        {
            Transition(resource, ResourceState.Stopping);
            switch (resource)
            {
                case ProjectResource project:
                    await Task.WhenAll(project.Instances.Select(async instance =>
                    {
                        instance.State = ResourceState.Stopping;
                        await instance.DisposeAsync();
                        instance.State = ResourceState.Exited;
                    }));
                    break;
                case PostgresServerResource { Server: { } server }:
                    await server.DisposeAsync();
                    break;
                case RabbitMQServerResource { Server: { } server }:
                    await server.DisposeAsync();
                    break;
            }

            resource.IsHealthy = false;
            Transition(resource, ResourceState.Exited);
        }

        _started.Clear();
        if (Dashboard is { } dashboard)
        {
            await dashboard.DisposeAsync();
            Dashboard = null;
        }

        _http.Dispose();
    }
}

public sealed class DistributedApplicationException(string message, Exception? inner = null) : Exception(message, inner);

using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AuthErrorOps.AppHost.Infrastructure;

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>
/// Runs the model: servers through the local runners, projects as child processes from their
/// build output, each started once what it waits for is Running and healthy, within a timeout
/// that names the resource. Stops everything in reverse order.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly DistributedApplicationBuilder _builder;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly List<Resource> _started = [];
    private readonly string _apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly string _piiHashKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    internal DistributedApplication(DistributedApplicationBuilder builder) => _builder = builder;

    public static DistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions? options = null) => new(options ?? new DistributedApplicationOptions());

    public IReadOnlyList<Resource> Resources => _builder.Resources;

    /// <summary>The <c>X-Api-Key</c> the Ingest replicas accept in this run (unless configured).</summary>
    public string ApiKey => _builder.Options.ProjectEnvironment.GetValueOrDefault("Ingest__ApiKeys__0") ?? _apiKey;

    private TextWriter Console => _builder.Options.Console;

    public Resource GetResource(string name) =>
        Resources.FirstOrDefault(resource => resource.Name == name) ?? throw new ArgumentException($"No resource named '{name}'.", nameof(name));

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var pending = Resources.ToList();
        foreach (var resource in pending)
        {
            Transition(resource, ResourceState.Waiting);
        }

        var running = new List<Task>();
        while (pending.Count > 0)
        {
            var ready = pending.Where(resource => resource.WaitsFor.All(dependency => dependency.State == ResourceState.Running && dependency.IsHealthy)).ToList();
            if (ready.Count == 0)
            {
                // Something is still starting; wait for it to finish (or fail) and look again.
                var finished = await Task.WhenAny(running);
                running.Remove(finished);
                await finished;
                continue;
            }

            foreach (var resource in ready)
            {
                pending.Remove(resource);
                running.Add(StartResourceAsync(resource, cancellationToken));
            }

            if (running.Count > 0)
            {
                var finished = await Task.WhenAny(running);
                running.Remove(finished);
                await finished;
            }
        }

        await Task.WhenAll(running);
        Console.WriteLine("Distributed application started. Press Ctrl+C to shut down.");
    }

    private async Task StartResourceAsync(Resource resource, CancellationToken cancellationToken)
    {
        Transition(resource, ResourceState.Starting);
        _started.Add(resource);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_builder.Options.StartTimeout);
        try
        {
            switch (resource)
            {
                case PostgresServerResource postgres:
                    postgres.Server = await PostgresServer.StartAsync(new PostgresServerOptions { DataDirectory = postgres.DataDirectory }, cancellationToken: timeout.Token);
                    break;
                case PostgresDatabaseResource database:
                    await database.Server.Server!.CreateDatabaseAsync(database.Name, timeout.Token);
                    database.ConnectionString = database.Server.Server.GetConnectionString(database.Name);
                    break;
                case RabbitMQServerResource rabbit:
                    rabbit.Server = await RabbitMqServer.StartAsync(
                        new RabbitMqServerOptions { DataDirectory = rabbit.DataDirectory, ManagementPlugin = rabbit.ManagementPlugin }, cancellationToken: timeout.Token);
                    rabbit.ConnectionString = rabbit.Server.GetConnectionString();
                    rabbit.ManagementUri = rabbit.ManagementPlugin ? rabbit.Server.ManagementUri : null;
                    break;
                case ProjectResource project:
                    await StartProjectAsync(project, timeout.Token);
                    break;
            }

            resource.IsHealthy = true;
            Transition(resource, ResourceState.Running, Describe(resource));
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            resource.Error = exception is OperationCanceledException
                ? $"'{resource.Name}' did not become healthy within {_builder.Options.StartTimeout.TotalSeconds:0} s."
                : $"'{resource.Name}' failed to start: {exception.Message}";
            Transition(resource, ResourceState.FailedToStart, resource.Error);
            throw new DistributedApplicationException(resource.Error, exception);
        }
    }

    private async Task StartProjectAsync(ProjectResource project, CancellationToken cancellationToken)
    {
        var assembly = ProjectOutput(project.ProjectName);
        for (var replica = 1; replica <= project.Replicas; replica++)
        {
            var instanceName = $"{project.Name}-{replica}";
            var instance = ProjectReplica.Start(instanceName, assembly, EnvironmentFor(project, instanceName));
            instance.ImportantLine += line => Console.WriteLine($"[{instanceName}] {line}");
            project.Instances.Add(instance);
        }

        foreach (var instance in project.Instances)
        {
            while (!await instance.IsHealthyAsync(_http, project.HealthCheckPath ?? "/alive", cancellationToken))
            {
                if (instance.HasExited)
                {
                    throw new InvalidOperationException($"{instance.Name} exited while starting. Its output:\n{instance.FailureExcerpt()}");
                }

                await Task.Delay(200, cancellationToken);
            }
        }
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
            ["Ingest__ApiKeys__0"] = _apiKey,
            ["Ingest__PiiHashKey"] = _piiHashKey,
        };
        foreach (var reference in project.References)
        {
            environment[$"ConnectionStrings__{reference.Name}"] = reference.ConnectionString
                ?? throw new InvalidOperationException($"'{project.Name}' references '{reference.Name}', which has no connection string yet; add WaitFor.");
        }

        foreach (var (key, value) in project.Environment.Concat(_builder.Options.ProjectEnvironment))
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
        var deadline = DateTime.UtcNow + (timeout ?? _builder.Options.StartTimeout);
        while (!(resource.State == ResourceState.Running && resource.IsHealthy))
        {
            if (resource.State is ResourceState.FailedToStart or ResourceState.Exited)
            {
                throw new DistributedApplicationException($"Resource '{name}' is {resource.State}: {resource.Error}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Resource '{name}' was not healthy within {(timeout ?? _builder.Options.StartTimeout).TotalSeconds:0} s (state {resource.State}).");
            }

            await Task.Delay(100, cancellationToken);
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

        Console.WriteLine($"\n  X-Api-Key for ingest (this run): {ApiKey}\n");
    }

    private static string Describe(Resource resource) => resource switch
    {
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
            Console.WriteLine($"{DateTime.Now:HH:mm:ss} {resource.Name}: {previous} -> {state}{(string.IsNullOrEmpty(detail) ? "" : "  " + detail)}");
        }
    }

    /// <summary>Stops in reverse start order: projects first, then the databases and servers they use.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var resource in Enumerable.Reverse(_started).ToList())
        {
            Transition(resource, ResourceState.Stopping);
            switch (resource)
            {
                case ProjectResource project:
                    await Task.WhenAll(project.Instances.Select(instance => instance.DisposeAsync().AsTask()));
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
        _http.Dispose();
    }
}

public sealed class DistributedApplicationException(string message, Exception? inner = null) : Exception(message, inner);

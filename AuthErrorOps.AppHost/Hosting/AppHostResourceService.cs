using System.Globalization;
using AuthErrorOps.Dashboard.Resources;

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>The application's resources as the dashboard and its control API see them.</summary>
internal sealed class AppHostResourceService(DistributedApplication app) : IResourceService
{
    // Names whose values are secrets: shown to the token holder, masked by the UI until revealed.
    // "Pass" covers POSTGRES_PASSWORD and RabbitMQ's RABBITMQ_DEFAULT_PASS alike.
    private static readonly string[] SecretMarkers = ["ConnectionStrings__", "Key", "Pass", "Token", "Secret", "OTEL_EXPORTER_OTLP_HEADERS"];

    public IReadOnlyList<ResourceSnapshot> GetResources() => app.Resources.SelectMany(Snapshots).ToList();

    public Task<ResourceCommandResult> ExecuteCommandAsync(string name, ResourceCommand command, CancellationToken cancellationToken) =>
        app.ExecuteCommandAsync(name, command, cancellationToken);

    public IReadOnlyList<ConsoleLogLine> GetConsoleLogs(string? resource, long afterSequence, int limit) =>
        app.ResourceLogs.Read(resource, afterSequence, limit);

    public PipelineSource? GetPipelineSource()
    {
        var ingest = app.Resources.OfType<ProjectResource>().FirstOrDefault(project => project.Name == "ingest");
        var replica = ingest?.Instances.FirstOrDefault(instance => instance.State == ResourceState.Running);
        if (replica is null)
        {
            return null;
        }

        var rabbit = app.Resources.OfType<RabbitMQServerResource>().FirstOrDefault(server => server.ManagementUri is not null && server.Server is not null);
        return new PipelineSource(replica.Url, app.ApiKey, rabbit?.ManagementUri, rabbit is null ? null : AppHost.Infrastructure.RabbitMqServer.Username, rabbit?.Server?.Password);
    }

    private static IEnumerable<ResourceSnapshot> Snapshots(Resource resource) => resource switch
    {
        ProjectResource project when project.Instances.Count > 0 => project.Instances.Select(replica => new ResourceSnapshot(
            project.Name,
            replica.Name,
            "Project",
            replica.State.ToString(),
            Health(replica.State, replica.IsHealthy),
            [new ResourceEndpoint("http", replica.Url.ToString().TrimEnd('/'))],
            replica.ProcessId > 0 ? replica.ProcessId : null,
            replica.StartedAt,
            replica.State == ResourceState.FailedToStart ? project.Error : null,
            Environment(replica.Environment))),
        _ => [new ResourceSnapshot(
            resource.Name,
            resource.Name,
            TypeOf(resource),
            resource.State.ToString(),
            Health(resource.State, resource.IsHealthy),
            Endpoints(resource),
            DistributedApplication.ServerProcessId(resource),
            resource.StartedAt,
            resource.Error,
            Environment(ServerEnvironment(resource)))],
    };

    private static string? Health(ResourceState state, bool healthy) => state == ResourceState.Running ? (healthy ? "Healthy" : "Unhealthy") : null;

    private static string TypeOf(Resource resource) => resource switch
    {
        PostgresServerResource => "PostgreSQL",
        PostgresDatabaseResource => "PostgreSQLDatabase",
        RabbitMQServerResource => "RabbitMQ",
        _ => "Project",
    };

    private static List<ResourceEndpoint> Endpoints(Resource resource) => resource switch
    {
        PostgresServerResource { Server: { } server } => [new("tcp", string.Create(CultureInfo.InvariantCulture, $"tcp://127.0.0.1:{server.Port}"))],
        RabbitMQServerResource { Server: { } server } rabbit =>
            [new("amqp", string.Create(CultureInfo.InvariantCulture, $"amqp://127.0.0.1:{server.AmqpPort}")), .. rabbit.ManagementUri is { } ui ? [new ResourceEndpoint("management", ui.ToString())] : Array.Empty<ResourceEndpoint>()],
        _ => [],
    };

    private static Dictionary<string, string> ServerEnvironment(Resource resource) => resource switch
    {
        PostgresServerResource { Server: { } server } => new() { ["POSTGRES_USER"] = server.Username, ["POSTGRES_PASSWORD"] = server.Password, ["PGDATA"] = server.DataDirectory },
        PostgresDatabaseResource { ConnectionString: { } connection } database => new() { [$"ConnectionStrings__{database.Name}"] = connection },
        RabbitMQServerResource { Server: { } server, ConnectionString: { } connection } rabbit => new()
        {
            ["RABBITMQ_NODENAME"] = server.NodeName,
            ["RABBITMQ_DEFAULT_PASS"] = server.Password,
            [$"ConnectionStrings__{rabbit.Name}"] = connection,
        },
        _ => [],
    };

    private static List<ResourceEnvironmentVariable> Environment(IReadOnlyDictionary<string, string> environment) =>
        environment.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ResourceEnvironmentVariable(pair.Key, pair.Value, SecretMarkers.Any(marker => pair.Key.Contains(marker, StringComparison.OrdinalIgnoreCase))))
            .ToList();
}

using AuthErrorOps.Dashboard.Resources;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Dashboard.Apis;

public sealed record ResourceCommandResponse(string Name, string Command, string? State);

public sealed record ConsoleLogsResponse(IReadOnlyList<ConsoleLogLine> Items, long Last);

public sealed record ConsoleLogParameters(string? Resource, long? After, int? Limit);

/// <summary>The AppHost's resources, their commands and console output (docs/dashboard.md, "Control API").</summary>
public static class ResourcesApi
{
    public const int MaxConsoleLogLimit = 5_000;

    public static RouteGroupBuilder MapResourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api");
        api.MapGet("/resources", GetResources);
        api.MapPost("/resources/{name}/{command}", ExecuteCommandAsync);
        api.MapGet("/console-logs", GetConsoleLogs);
        return api;
    }

    public static Ok<IReadOnlyList<ResourceSnapshot>> GetResources(IResourceService resources) => TypedResults.Ok(resources.GetResources());

    public static async Task<Results<Ok<ResourceCommandResponse>, ProblemHttpResult>> ExecuteCommandAsync(
        string name, string command, IResourceService resources, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<ResourceCommand>(command, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(command[0]))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown command",
                detail: $"'{command}' is not a command; use start, stop or restart.");
        }

        var result = await resources.ExecuteCommandAsync(name, parsed, cancellationToken);
        return result.Status switch
        {
            ResourceCommandStatus.Ok => TypedResults.Ok(new ResourceCommandResponse(name, command.ToLowerInvariant(), StateOf(resources, name))),
            ResourceCommandStatus.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown resource",
                detail: result.Message ?? $"No resource or instance is named '{name}'."),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Cannot {command.ToLowerInvariant()} {name} now",
                detail: result.Message),
        };
    }

    public static Ok<ConsoleLogsResponse> GetConsoleLogs([AsParameters] ConsoleLogParameters query, IResourceService resources)
    {
        var after = query.After ?? 0;
        var lines = resources.GetConsoleLogs(
            string.IsNullOrEmpty(query.Resource) ? null : query.Resource, after, Math.Clamp(query.Limit ?? 1_000, 1, MaxConsoleLogLimit));
        return TypedResults.Ok(new ConsoleLogsResponse(lines, lines.Count > 0 ? lines[^1].Sequence : after));
    }

    /// <summary>The instance's state, or the resource's when all its replicas agree.</summary>
    private static string? StateOf(IResourceService resources, string name)
    {
        var snapshots = resources.GetResources();
        if (snapshots.FirstOrDefault(r => string.Equals(r.InstanceName, name, StringComparison.OrdinalIgnoreCase)) is { } instance)
        {
            return instance.State;
        }

        var states = snapshots.Where(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)).Select(r => r.State).Distinct().ToList();
        return states.Count == 1 ? states[0] : null;
    }
}

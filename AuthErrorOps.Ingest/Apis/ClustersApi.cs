using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Ingest.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Ingest.Apis;

/// <summary><c>?sort=lastSeenAt|totalCount|firstSeenAt&amp;direction=asc|desc</c>, matched ignoring case.</summary>
public sealed record ClusterSortParameters(string Sort = "lastSeenAt", string Direction = "desc");

/// <summary>Clusters of errors with the same root cause (stack_hash), as the consumer links them.</summary>
public static class ClustersApi
{
    private static readonly (string Name, ClusterSort Value)[] Sorts =
        [("lastSeenAt", ClusterSort.LastSeenAt), ("totalCount", ClusterSort.TotalCount), ("firstSeenAt", ClusterSort.FirstSeenAt)];

    private static readonly (string Name, SortDirection Value)[] Directions =
        [("asc", SortDirection.Ascending), ("desc", SortDirection.Descending)];

    public static RouteGroupBuilder MapClustersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/clusters")
            .WithTags("Clusters")
            .RequireAuthorization()
            .RequireRateLimiting(IngestRateLimiting.PerApiKeyPolicy);

        api.MapGet("/", ListAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("One page (0-based) of clusters, by default the most recently seen first; ties are broken by id.");
        api.MapGet("/{id:long}", GetAsync)
            .WithSummary($"A cluster with its sample and its {ClusterQueries.RecentItemLimit} most recently linked errors.");

        return api;
    }

    public static async Task<Results<Ok<PageResponse<ClusterSummary>>, ProblemHttpResult>> ListAsync(
        [AsParameters] PageParameters paging, [AsParameters] ClusterSortParameters sorting, ClusterQueries queries, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var sort = Choose("sort", sorting.Sort, Sorts, errors);
        var direction = Choose("direction", sorting.Direction, Directions, errors);
        var page = Paging.Parse(paging, errors);
        if (errors.Count > 0)
        {
            return Problems.InvalidQuery(errors);
        }

        var clusters = await queries.ListAsync(sort, direction, page.Page, page.Size, cancellationToken);
        return TypedResults.Ok(PageResponse<ClusterSummary>.Create(clusters.Items, page, clusters.TotalElements));
    }

    public static async Task<Results<Ok<ClusterDetails>, ProblemHttpResult>> GetAsync(long id, ClusterQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } cluster
            ? TypedResults.Ok(cluster)
            : Problems.NotFound($"No cluster with id {id}.");

    private static T Choose<T>(string parameter, string value, (string Name, T Value)[] choices, Dictionary<string, string[]> errors)
        where T : struct
    {
        foreach (var choice in choices)
        {
            if (string.Equals(choice.Name, value, StringComparison.OrdinalIgnoreCase))
            {
                return choice.Value;
            }
        }

        errors[parameter] = [$"must be one of: {string.Join(", ", choices.Select(c => c.Name))}."];
        return default;
    }
}

using AuthErrorOps.Core.Domain;
using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Ingest.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Ingest.Apis;

public sealed record OutboxOverview(IReadOnlyDictionary<string, long> Counts, double? OldestPendingAgeSeconds);

public sealed record RequeuedResponse(long Id, string Status);

/// <summary>Operator endpoints: pipeline state and the repairs an operator may make.</summary>
public static class OpsApi
{
    public static RouteGroupBuilder MapOpsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/ops")
            .WithTags("Operations")
            .RequireAuthorization()
            .RequireRateLimiting(IngestRateLimiting.PerApiKeyPolicy);

        api.MapGet("/outbox", GetOutboxAsync)
            .WithSummary("Outbox rows by status and the age of the oldest PENDING row.");
        api.MapPost("/outbox/{id:long}/requeue", RequeueAsync)
            .WithSummary("Move a DEAD outbox row back to PENDING with its attempts reset.");

        return api;
    }

    public static async Task<Ok<OutboxOverview>> GetOutboxAsync(OutboxStore store, CancellationToken cancellationToken)
    {
        var counts = await store.CountAsync(cancellationToken);
        return TypedResults.Ok(new OutboxOverview(counts.Counts, counts.OldestPendingAgeSeconds));
    }

    public static async Task<Results<Ok<RequeuedResponse>, ProblemHttpResult>> RequeueAsync(long id, OutboxStore store, CancellationToken cancellationToken) =>
        await store.RequeueDeadAsync(id, cancellationToken) switch
        {
            null => Problems.NotFound($"No outbox row with id {id}."),
            OutboxStatus.Dead => TypedResults.Ok(new RequeuedResponse(id, OutboxStatus.Pending)),
            var status => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Only DEAD rows can be requeued",
                detail: $"Outbox row {id} is {status}."),
        };
}

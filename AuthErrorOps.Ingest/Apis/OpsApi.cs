using AuthErrorOps.Core.DeadLetters;
using AuthErrorOps.Core.Domain;
using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Ingest.Infrastructure;
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
        api.MapGet("/dead-letters", ListDeadLettersAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("One page (0-based) of the dead-letter ledger, most recently seen first, optionally of one reason.");
        api.MapPost("/dead-letters/{id:long}/replay", ReplayDeadLetterAsync)
            .WithSummary("Publish a dead letter's stored event again (with broker confirm) and record the replay.");

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

    public static async Task<Results<Ok<PageResponse<DeadLetterSummary>>, ProblemHttpResult>> ListDeadLettersAsync(
        [AsParameters] PageParameters paging, string? reason, DeadLetterLedger ledger, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var page = Paging.Parse(paging, errors);
        if (errors.Count > 0)
        {
            return Problems.InvalidQuery(errors);
        }

        var deadLetters = await ledger.ListAsync(string.IsNullOrWhiteSpace(reason) ? null : reason, page.Page, page.Size, cancellationToken);
        return TypedResults.Ok(PageResponse<DeadLetterSummary>.Create(deadLetters.Items, page, deadLetters.TotalElements));
    }

    public static async Task<Results<Ok<DeadLetterReplayState>, ProblemHttpResult>> ReplayDeadLetterAsync(
        long id, DeadLetterReplayer replayer, CancellationToken cancellationToken)
    {
        var result = await replayer.ReplayAsync(id, cancellationToken);
        return result.Outcome switch
        {
            ReplayOutcome.Replayed => TypedResults.Ok(result.State!),
            ReplayOutcome.NotFound => Problems.NotFound($"No dead letter with id {id}."),
            ReplayOutcome.NotReplayable => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: "Dead letter cannot be replayed", detail: result.Detail),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Replay not confirmed by the broker", detail: result.Detail),
        };
    }
}

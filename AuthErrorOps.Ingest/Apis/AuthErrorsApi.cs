using AuthErrorOps.Ingest.Infrastructure;
using AuthErrorOps.Ingest.Model;
using AuthErrorOps.Ingest.Security;
using AuthErrorOps.Ingest.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AuthErrorOps.Ingest.Apis;

public static class AuthErrorsApi
{
    public static RouteGroupBuilder MapAuthErrorsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/auth-errors")
            .WithTags("Auth errors")
            .RequireAuthorization()
            .RequireRateLimiting(IngestRateLimiting.PerApiKeyPolicy);

        api.MapPost("/", RecordAsync)
            .Accepts<AuthErrorRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Record one auth failure (202 on first receipt, 200 for a repeat of the same requestId).");
        api.MapPost("/batch", RecordBatchAsync)
            .Accepts<AuthErrorBatchRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Record many auth failures in one transaction, with a result per item.");
        api.MapGet("/{id:long}", GetAsync)
            .WithSummary("The stored (scrubbed, hashed) error and its pipeline state.");

        return api;
    }

    public static async Task<Results<Accepted<RecordedResponse>, Ok<RecordedResponse>, ProblemHttpResult>> RecordAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var started = services.TimeProvider.GetTimestamp();
        var (body, malformed) = await JsonBody.ReadAsync(request, FieldLimits.RequestBodyBytes, IngestJsonContext.Default.AuthErrorRequest, cancellationToken);
        if (malformed is not null)
        {
            services.Metrics.Rejected(malformed.ProblemDetails.Status);
            return malformed;
        }

        var errors = AuthErrorRequestValidator.Validate(body!, services.TimeProvider.GetUtcNow());
        if (errors.Count > 0)
        {
            services.Metrics.Rejected(StatusCodes.Status422UnprocessableEntity);
            return Problems.Invalid(errors);
        }

        var error = services.Normalizer.Normalize(body!);
        var stored = await services.Store.InsertAsync(error, TraceContext.Current(), cancellationToken);
        if (stored is not null)
        {
            services.Metrics.Accepted(1, services.TimeProvider.GetElapsedTime(started));
            return TypedResults.Accepted($"/api/auth-errors/{stored.AuthErrorId}", new RecordedResponse(stored.AuthErrorId, stored.EventId, stored.StackHash));
        }

        // The requestId is taken: by this very report (a retry) or by another one.
        var existing = (await services.Store.FindAsync([error.RequestId], cancellationToken))[error.RequestId];
        if (existing.RequestHash != error.RequestHash)
        {
            services.Metrics.Rejected(StatusCodes.Status409Conflict);
            return Problems.Conflict(error.RequestId);
        }

        services.Metrics.Duplicate(1);
        return TypedResults.Ok(new RecordedResponse(existing.AuthErrorId, existing.EventId, existing.StackHash));
    }

    public static async Task<Results<Ok<BatchResponse>, ProblemHttpResult>> RecordBatchAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var started = services.TimeProvider.GetTimestamp();
        var maxItems = services.Options.Value.MaxBatchSize;
        var (body, unreadable) = await JsonBody.ReadBytesAsync(request, IngestOptions.BatchBodyLimit(maxItems), cancellationToken);
        if (unreadable is not null)
        {
            services.Metrics.Rejected(unreadable.ProblemDetails.Status);
            return unreadable;
        }

        IReadOnlyList<ParsedItem>? items;
        ProblemHttpResult? malformed;
        using (body)
        {
            (items, malformed) = BatchPlan.ParseItems(body!.WrittenSpan);
        }

        if (malformed is not null)
        {
            services.Metrics.Rejected(malformed.ProblemDetails.Status);
            return malformed;
        }

        if (items is not { Count: > 0 } || items.Count > maxItems)
        {
            services.Metrics.Rejected(StatusCodes.Status422UnprocessableEntity);
            return Problems.Invalid(new Dictionary<string, string[]> { ["items"] = [$"must hold between 1 and {maxItems} items."] });
        }

        var plan = BatchPlan.Create(items, services.Normalizer, services.TimeProvider.GetUtcNow());
        var inserted = plan.ToInsert.Count > 0
            ? await services.Store.InsertManyAsync(plan.ToInsert, TraceContext.Current(), cancellationToken)
            : new Dictionary<string, long>();
        var existing = plan.NeedsLookup(inserted) is { Count: > 0 } lookups
            ? await services.Store.FindAsync(lookups, cancellationToken)
            : new Dictionary<string, StoredIds>();

        var results = plan.Results(inserted, existing);
        services.Metrics.Accepted(results.Count(r => r.Status == BatchItemStatus.Created), services.TimeProvider.GetElapsedTime(started));
        services.Metrics.Duplicate(results.Count(r => r.Status == BatchItemStatus.Duplicate));
        services.Metrics.RejectedItems(results.Count(r => r.Status == BatchItemStatus.Invalid));
        return TypedResults.Ok(new BatchResponse(results));
    }

    public static async Task<Results<Ok<AuthErrorDetails>, ProblemHttpResult>> GetAsync(
        long id, [AsParameters] IngestServices services, CancellationToken cancellationToken) =>
        await services.Queries.GetAsync(id, cancellationToken) is { } details
            ? TypedResults.Ok(details)
            : Problems.NotFound($"No auth error with id {id}.");
}

public sealed record RecordedResponse(long AuthErrorId, Guid EventId, string StackHash);

public sealed class IngestServices(
    AuthErrorNormalizer normalizer, AuthErrorStore store, AuthErrorQueries queries, IngestMetrics metrics,
    IOptions<IngestOptions> options, TimeProvider timeProvider)
{
    public AuthErrorNormalizer Normalizer { get; } = normalizer;

    public AuthErrorStore Store { get; } = store;

    public AuthErrorQueries Queries { get; } = queries;

    public IngestMetrics Metrics { get; } = metrics;

    public IOptions<IngestOptions> Options { get; } = options;

    public TimeProvider TimeProvider { get; } = timeProvider;
}

using AuthErrorOps.Dashboard.Pipeline;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Dashboard.Apis;

/// <summary>The pipeline read server-side (docs/dashboard.md, "Pipeline API").</summary>
public static class PipelineApi
{
    public static RouteGroupBuilder MapPipelineApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/pipeline");
        api.MapGet("/", GetPipelineAsync);
        api.MapPost("/dead-letters/{id:long}/replay", ReplayDeadLetterAsync);
        return api;
    }

    internal static async Task<Ok<PipelineOverview>> GetPipelineAsync(PipelineReader pipeline, CancellationToken cancellationToken) =>
        TypedResults.Ok(await pipeline.ReadAsync(cancellationToken));

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ReplayDeadLetterAsync(
        long id, PipelineReader pipeline, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await pipeline.ReplayDeadLetterAsync(id, cancellationToken);
            return TypedResults.Content(outcome.Body, outcome.ContentType, statusCode: outcome.StatusCode);
        }
        catch (PipelineUnavailableException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Ingest is not running", detail: e.Message);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Ingest did not answer", detail: e.Message);
        }
    }
}

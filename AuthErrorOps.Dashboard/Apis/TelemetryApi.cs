using AuthErrorOps.Dashboard.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Dashboard.Apis;

public sealed record ItemsResponse<T>(IReadOnlyList<T> Items);

public sealed record TraceListParameters(string? Resource, string? Name, bool? HasError, string? Attribute, string? Text, int? Limit);

public sealed record LogListParameters(string? Resource, string? Level, string? Text, string? TraceId, int? Limit);

/// <summary>What the OTLP receiver stored (docs/dashboard.md, "Telemetry API").</summary>
public static class TelemetryApi
{
    public const int MaxTraceLimit = 1_000;
    public const int MaxLogLimit = 5_000;

    public static RouteGroupBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/telemetry");
        api.MapGet("/resources", GetResources);
        api.MapGet("/traces", ListTraces);
        api.MapGet("/traces/{traceId}", GetTrace);
        api.MapGet("/logs", ListLogs);
        api.MapGet("/metrics", ListMetrics);
        api.MapGet("/metrics/{serviceName}/{metricName}", GetMetric);
        return api;
    }

    public static Ok<ItemsResponse<TelemetryResource>> GetResources(TelemetryStore telemetry) =>
        TypedResults.Ok(new ItemsResponse<TelemetryResource>(telemetry.GetResources()));

    public static Ok<ListResult<TraceSummary>> ListTraces([AsParameters] TraceListParameters query, TelemetryStore telemetry) =>
        TypedResults.Ok(telemetry.QueryTraces(new TraceQuery(
            query.Resource, query.Name, query.HasError, query.Attribute, query.Text, Math.Clamp(query.Limit ?? 100, 1, MaxTraceLimit))));

    public static Results<Ok<TraceDetails>, ProblemHttpResult> GetTrace(string traceId, TelemetryStore telemetry) =>
        telemetry.GetTrace(traceId) is { } trace
            ? TypedResults.Ok(trace)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown trace", detail: $"No span of trace {traceId} is stored.");

    public static Results<Ok<ListResult<LogView>>, ValidationProblem> ListLogs([AsParameters] LogListParameters query, TelemetryStore telemetry)
    {
        int? minimum = null;
        if (!string.IsNullOrEmpty(query.Level) && (minimum = LogLevels.MinimumSeverityNumber(query.Level)) is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["level"] = ["Use Trace, Debug, Information, Warning, Error or Critical."],
            });
        }

        return TypedResults.Ok(telemetry.QueryLogs(new LogQuery(
            query.Resource, minimum, query.Text, query.TraceId, Math.Clamp(query.Limit ?? 200, 1, MaxLogLimit))));
    }

    public static Ok<ItemsResponse<MetricInstrument>> ListMetrics(string? resource, TelemetryStore telemetry) =>
        TypedResults.Ok(new ItemsResponse<MetricInstrument>(telemetry.GetMetrics(resource)));

    public static Results<Ok<MetricData>, ProblemHttpResult> GetMetric(string serviceName, string metricName, int? minutes, TelemetryStore telemetry) =>
        telemetry.GetMetric(serviceName, metricName, TimeSpan.FromMinutes(Math.Clamp(minutes ?? 5, 1, 24 * 60))) is { } metric
            ? TypedResults.Ok(metric)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown metric",
                detail: $"No metric {metricName} of service {serviceName} is stored.");
}

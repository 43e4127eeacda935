using System.Text.Json.Nodes;

namespace AuthErrorOps.Ingest.Model;

/// <summary>One reported auth failure, as posted (DESIGN §9). Everything is optional here; validation says what is missing.</summary>
public sealed class AuthErrorRequest
{
    public string? RequestId { get; set; }

    public DateTimeOffset? OccurredAt { get; set; }

    public int? HttpStatus { get; set; }

    public string? ExceptionClass { get; set; }

    public string? Stacktrace { get; set; }

    public string? SourceService { get; set; }

    public string? Environment { get; set; }

    public string? ErrorType { get; set; }

    public string? ExceptionMessage { get; set; }

    public string? RootCauseClass { get; set; }

    public string? RootCauseMessage { get; set; }

    public string? Provider { get; set; }

    public string? ClientType { get; set; }

    public string? Endpoint { get; set; }

    public string? HttpMethod { get; set; }

    public string? UserAgent { get; set; }

    public string? UserId { get; set; }

    public string? ClientIp { get; set; }

    public string? TraceId { get; set; }

    public JsonObject? Attributes { get; set; }
}

/// <summary>A batch as posted: each item is kept as JSON, so one malformed item is reported on its own.</summary>
public sealed class AuthErrorBatchRequest
{
    public List<System.Text.Json.JsonElement>? Items { get; set; }
}

/// <summary>A batch whose items all parse: read in one pass, without keeping each item's JSON (see <c>BatchPlan.ParseItems</c>).</summary>
public sealed class ParsedAuthErrorBatch
{
    public List<AuthErrorRequest?>? Items { get; set; }
}

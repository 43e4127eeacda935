using System.Text.Json.Serialization;

namespace AuthErrorOps.Dashboard.Telemetry;

// What the telemetry API returns (docs/dashboard.md, "Telemetry API"). Stored spans and logs are these
// immutable records themselves, so a query copies references, not data. Times are UTC.

public sealed record TelemetryResource(string ServiceName, IReadOnlyList<string> InstanceIds, int SpanCount, int LogCount, int MetricCount);

public sealed record SpanView(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    string ServiceName,
    string? InstanceId,
    string Scope,
    DateTime StartTime,
    DateTime EndTime,
    double DurationMs,
    string Status,
    string? StatusMessage,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<SpanEventView> Events,
    IReadOnlyList<SpanLinkView> Links)
{
    [JsonIgnore]
    public bool IsError => Status == "Error";
}

public sealed record SpanEventView(string Name, DateTime Time, IReadOnlyDictionary<string, string> Attributes);

public sealed record SpanLinkView(string TraceId, string SpanId);

public sealed record TraceSummary(
    string TraceId, string RootName, string RootService, DateTime StartTime, double DurationMs, int SpanCount, int ErrorCount, IReadOnlyList<string> Services);

public sealed record TraceDetails(string TraceId, IReadOnlyList<SpanView> Spans);

public sealed record TraceQuery(string? Resource = null, string? Name = null, bool? HasError = null, string? Attribute = null, string? Text = null, int Limit = 100);

public sealed record ListResult<T>(IReadOnlyList<T> Items, int Total);

public sealed record LogView(
    DateTime Timestamp,
    string ServiceName,
    string? InstanceId,
    string Severity,
    int SeverityNumber,
    string Category,
    string Message,
    string? TraceId,
    string? SpanId,
    IReadOnlyDictionary<string, string> Attributes);

public sealed record LogQuery(string? Resource = null, int? MinimumSeverityNumber = null, string? Text = null, string? TraceId = null, int Limit = 200);

public sealed record MetricInstrument(string ServiceName, string Meter, string Name, string Description, string Unit, string Type, bool IsMonotonic);

public sealed record MetricPointView(DateTime Time, double? Value, long? Count, double? Sum, double? P50, double? P95, double? P99);

public sealed record MetricSeriesView(IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<MetricPointView> Points);

public sealed record MetricData(string Name, string Unit, string Type, IReadOnlyList<MetricSeriesView> Series);

/// <summary>OTLP severity numbers (1–24) by level, and the level names the API filters on.</summary>
public static class LogLevels
{
    private static readonly string[] Names = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    /// <summary>The lowest severity number of a level name (<c>Warning</c> → 13), or null if unknown.</summary>
    public static int? MinimumSeverityNumber(string level)
    {
        var index = Array.FindIndex(Names, name => string.Equals(name, level, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : index * 4 + 1;
    }

    public static string NameOf(int severityNumber) => severityNumber switch
    {
        <= 0 => "Unspecified",
        > 24 => "Critical",
        _ => Names[(severityNumber - 1) / 4],
    };
}

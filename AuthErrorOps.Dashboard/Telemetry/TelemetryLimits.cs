namespace AuthErrorOps.Dashboard.Telemetry;

/// <summary>
/// How much telemetry the dashboard keeps in memory (<c>AppHost:Dashboard:Max*</c>); the oldest goes first.
/// </summary>
public sealed record TelemetryLimits
{
    /// <summary>Spans over all traces.</summary>
    public int MaxSpans { get; init; } = 100_000;

    public int MaxTraces { get; init; } = 10_000;

    public int MaxLogs { get; init; } = 10_000;

    /// <summary>Points kept per metric series (one series per attribute set and instance).</summary>
    public int MaxMetricPoints { get; init; } = 600;

    /// <summary>Series kept per metric; points of further attribute sets are dropped (a guard against unbounded cardinality).</summary>
    public int MaxSeriesPerMetric { get; init; } = 1_000;

    internal void Validate()
    {
        Require(MaxSpans, nameof(MaxSpans));
        Require(MaxTraces, nameof(MaxTraces));
        Require(MaxLogs, nameof(MaxLogs));
        Require(MaxMetricPoints, nameof(MaxMetricPoints));
        Require(MaxSeriesPerMetric, nameof(MaxSeriesPerMetric));

        static void Require(int value, string name)
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(name, value, $"AppHost:Dashboard:{name} must be at least 1.");
            }
        }
    }
}

using HdrHistogram;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(long Count, double P50, double P95, double P99, double P999, double Max, double Mean)
{
    public static LatencySummary Of(HistogramBase histogram) => histogram.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0, 0, 0)
        : new LatencySummary(histogram.TotalCount, Ms(histogram.GetValueAtPercentile(50)), Ms(histogram.GetValueAtPercentile(95)),
            Ms(histogram.GetValueAtPercentile(99)), Ms(histogram.GetValueAtPercentile(99.9)), Ms(histogram.GetMaxValue()), histogram.GetMean() / 1000);

    private static double Ms(long microseconds) => microseconds / 1000.0;
}

/// <summary>
/// Latencies (µs resolution, up to 10 minutes) of the whole phase and of the current interval,
/// so a run has both its percentiles and their course over time. Thread-safe.
/// </summary>
public sealed class LatencyRecorder
{
    private const long HighestMicroseconds = 600_000_000;
    private readonly LongHistogram _total = new(HighestMicroseconds, 3);
    private readonly LongHistogram _interval = new(HighestMicroseconds, 3);
    private readonly Lock _lock = new();

    public void Record(TimeSpan latency)
    {
        var microseconds = Math.Clamp((long)latency.TotalMicroseconds, 1, HighestMicroseconds);
        lock (_lock)
        {
            _total.RecordValue(microseconds);
            _interval.RecordValue(microseconds);
        }
    }

    public LatencySummary Total()
    {
        lock (_lock)
        {
            return LatencySummary.Of(_total);
        }
    }

    /// <summary>The interval since the previous call, then starts a new one.</summary>
    public LatencySummary TakeInterval()
    {
        lock (_lock)
        {
            var summary = LatencySummary.Of(_interval);
            _interval.Reset();
            return summary;
        }
    }

    public static LatencySummary Summarize(IEnumerable<TimeSpan> latencies)
    {
        var histogram = new LongHistogram(HighestMicroseconds, 3);
        foreach (var latency in latencies)
        {
            histogram.RecordValue(Math.Clamp((long)latency.TotalMicroseconds, 1, HighestMicroseconds));
        }

        return LatencySummary.Of(histogram);
    }
}

namespace AuthErrorOps.Dashboard.Telemetry;

/// <summary>Estimates a percentile from explicit-bucket counts by linear interpolation inside the bucket that holds it.</summary>
internal static class HistogramPercentiles
{
    /// <param name="bucketCounts">bounds.Count + 1 counts: (-inf, b0], (b0, b1], …, (bn, +inf).</param>
    public static double? Estimate(IReadOnlyList<ulong> bucketCounts, IReadOnlyList<double> bounds, double quantile, double? min, double? max)
    {
        if (bucketCounts.Count == 0 || bucketCounts.Count != bounds.Count + 1)
        {
            return null;
        }

        ulong total = 0;
        foreach (var count in bucketCounts)
        {
            total += count;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = quantile * total;
        ulong seen = 0;
        for (var i = 0; i < bucketCounts.Count; i++)
        {
            var count = bucketCounts[i];
            if (count == 0 || seen + count < rank)
            {
                seen += count;
                continue;
            }

            var lower = i == 0 ? Math.Min(min ?? Math.Min(0, bounds.Count > 0 ? bounds[0] : 0), bounds.Count > 0 ? bounds[0] : 0) : bounds[i - 1];
            var upper = i == bounds.Count ? Math.Max(max ?? lower, lower) : bounds[i];
            var estimate = lower + (upper - lower) * ((rank - seen) / count);
            return Clamp(estimate, min, max);
        }

        return max ?? (bounds.Count > 0 ? bounds[^1] : null);
    }

    private static double Clamp(double value, double? min, double? max)
    {
        if (min is { } low && value < low)
        {
            value = low;
        }

        if (max is { } high && value > high)
        {
            value = high;
        }

        return value;
    }
}

using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Metrics;
using AuthErrorOps.Dashboard.Otlp.Proto.Common;
using AuthErrorOps.Dashboard.Otlp.Proto.Metrics;
using Google.Protobuf.Collections;

namespace AuthErrorOps.Dashboard.Telemetry;

public sealed partial class TelemetryStore
{
    /// <summary>A series that sent nothing for this long counts as stopped: it adds nothing to a rate.</summary>
    private static readonly TimeSpan StaleSeriesAge = TimeSpan.FromSeconds(30);

    private readonly Lock _metricsLock = new();
    private readonly Dictionary<string, MetricEntry> _metrics = new(StringComparer.OrdinalIgnoreCase);

    internal void AddMetrics(ExportMetricsServiceRequest request)
    {
        lock (_metricsLock)
        {
            foreach (var resourceMetrics in request.ResourceMetrics)
            {
                var identity = ServiceIdentity.Of(resourceMetrics.Resource);
                Service(identity);
                foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
                {
                    foreach (var metric in scopeMetrics.Metrics)
                    {
                        AddMetric(identity, scopeMetrics.Scope?.Name ?? "", metric);
                    }
                }
            }
        }
    }

    /// <summary>The instruments of <paramref name="resource"/> (a service or an instance; all when empty).</summary>
    public IReadOnlyList<MetricInstrument> GetMetrics(string? resource = null)
    {
        lock (_metricsLock)
        {
            return [.. _metrics.Values
                .Select(entry => entry.Instrument)
                .Where(instrument => IsServiceOrInstance(resource, instrument.ServiceName))
                .OrderBy(instrument => instrument.ServiceName, StringComparer.Ordinal)
                .ThenBy(instrument => instrument.Meter, StringComparer.Ordinal)
                .ThenBy(instrument => instrument.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>The series of one instrument with their points of the last <paramref name="window"/>; null if unknown.</summary>
    public MetricData? GetMetric(string serviceName, string metricName, TimeSpan window)
    {
        var since = _time.GetUtcNow().UtcDateTime - window;
        lock (_metricsLock)
        {
            if (!_metrics.TryGetValue(Key(serviceName, metricName), out var entry))
            {
                return null;
            }

            var series = entry.Series.Values
                .Select(s => new MetricSeriesView(s.Attributes, [.. Enumerable.Range(0, s.Points.Count).Select(i => s.Points[i]).Where(p => p.Time >= since)]))
                .ToList();
            return new MetricData(entry.Instrument.Name, entry.Instrument.Unit, entry.Instrument.Type, series);
        }
    }

    /// <summary>
    /// The per-second increase of a counter over about the last <paramref name="window"/>, summed over its series
    /// (all instances), optionally only those with attribute <paramref name="attribute"/>. Null if the counter was never received.
    /// </summary>
    public double? RatePerSecond(string serviceName, string metricName, TimeSpan window, KeyValuePair<string, string>? attribute = null)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_metricsLock)
        {
            if (!_metrics.TryGetValue(Key(serviceName, metricName), out var entry))
            {
                return null;
            }

            var total = 0.0;
            foreach (var series in entry.Series.Values)
            {
                if (attribute is { } wanted && !(series.Attributes.TryGetValue(wanted.Key, out var value) && value == wanted.Value))
                {
                    continue;
                }

                total += SeriesRate(series.Points, window, now);
            }

            return total;
        }
    }

    private static double SeriesRate(RingBuffer<MetricPointView> points, TimeSpan window, DateTime now)
    {
        if (points.Count < 2 || points.Newest.Time < now - StaleSeriesAge)
        {
            return 0;
        }

        var latest = points.Newest;
        var baseline = points[0];
        for (var i = points.Count - 2; i >= 0; i--)
        {
            if (points[i].Time <= latest.Time - window)
            {
                baseline = points[i];
                break;
            }
        }

        var seconds = (latest.Time - baseline.Time).TotalSeconds;
        if (seconds <= 0)
        {
            return 0;
        }

        var increase = (latest.Value ?? 0) - (baseline.Value ?? 0);
        return (increase < 0 ? latest.Value ?? 0 : increase) / seconds;
    }

    private void AddMetric(ServiceIdentity identity, string meter, Metric metric)
    {
        var (type, isMonotonic) = metric.DataCase switch
        {
            Metric.DataOneofCase.Sum => ("Sum", metric.Sum.IsMonotonic),
            Metric.DataOneofCase.Gauge => ("Gauge", false),
            Metric.DataOneofCase.Histogram => ("Histogram", false),
            _ => (null, false),
        };
        if (type is null)
        {
            return;
        }

        var key = Key(identity.ServiceName, metric.Name);
        if (!_metrics.TryGetValue(key, out var entry))
        {
            entry = new MetricEntry(new MetricInstrument(identity.ServiceName, meter, metric.Name, metric.Description, metric.Unit, type, isMonotonic));
            _metrics.Add(key, entry);
            Interlocked.Increment(ref Service(identity.ServiceName).MetricCount);
        }

        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Sum:
                var isDelta = metric.Sum.AggregationTemporality == AggregationTemporality.Delta;
                foreach (var point in metric.Sum.DataPoints)
                {
                    if (SeriesOf(entry, identity, point.Attributes) is { } series)
                    {
                        var value = NumberOf(point);
                        series.DeltaTotal += isDelta && double.IsFinite(value) ? value : 0;
                        series.Points.Add(new MetricPointView(OtlpConvert.Time(point.TimeUnixNano), Finite(isDelta ? series.DeltaTotal : value), null, null, null, null, null), out _);
                    }
                }

                break;
            case Metric.DataOneofCase.Gauge:
                foreach (var point in metric.Gauge.DataPoints)
                {
                    SeriesOf(entry, identity, point.Attributes)?.Points.Add(
                        new MetricPointView(OtlpConvert.Time(point.TimeUnixNano), Finite(NumberOf(point)), null, null, null, null, null), out _);
                }

                break;
            case Metric.DataOneofCase.Histogram:
                var isCumulative = metric.Histogram.AggregationTemporality == AggregationTemporality.Cumulative;
                foreach (var point in metric.Histogram.DataPoints)
                {
                    if (SeriesOf(entry, identity, point.Attributes) is { } series)
                    {
                        series.Points.Add(HistogramPoint(series, point, isCumulative), out _);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// A histogram point: count and sum as received; percentiles over the interval since the series' previous point
    /// when the histogram is cumulative (else over the point's own buckets), so a chart shows the latency of now.
    /// </summary>
    private static MetricPointView HistogramPoint(MetricSeries series, HistogramDataPoint point, bool isCumulative)
    {
        IReadOnlyList<ulong> buckets = point.BucketCounts;
        double? min = point.HasMin ? point.Min : null, max = point.HasMax ? point.Max : null;
        if (isCumulative && series.PreviousBuckets is { } previous && previous.Length == point.BucketCounts.Count
            && series.PreviousStart == point.StartTimeUnixNano && point.Count >= series.PreviousCount)
        {
            var interval = new ulong[previous.Length];
            for (var i = 0; i < interval.Length; i++)
            {
                interval[i] = point.BucketCounts[i] >= previous[i] ? point.BucketCounts[i] - previous[i] : 0;
            }

            buckets = interval;
            (min, max) = (null, null); // min and max of a cumulative point are over all time
        }

        if (isCumulative)
        {
            series.PreviousBuckets = [.. point.BucketCounts];
            series.PreviousStart = point.StartTimeUnixNano;
            series.PreviousCount = point.Count;
        }

        var bounds = point.ExplicitBounds;
        return new MetricPointView(
            OtlpConvert.Time(point.TimeUnixNano),
            null,
            (long)point.Count,
            point.HasSum ? Finite(point.Sum) : null,
            Finite(HistogramPercentiles.Estimate(buckets, bounds, 0.50, min, max)),
            Finite(HistogramPercentiles.Estimate(buckets, bounds, 0.95, min, max)),
            Finite(HistogramPercentiles.Estimate(buckets, bounds, 0.99, min, max)));
    }

    /// <summary>NaN and infinities (a broken gauge) are stored as "no value": JSON has no number for them.</summary>
    private static double? Finite(double? value) => value is { } number && double.IsFinite(number) ? number : null;

    private static double NumberOf(NumberDataPoint point) =>
        point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;

    private MetricSeries? SeriesOf(MetricEntry entry, ServiceIdentity identity, RepeatedField<KeyValue> pointAttributes)
    {
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in pointAttributes)
        {
            attributes[attribute.Key] = OtlpConvert.Text(attribute.Value);
        }

        if (identity.InstanceId is { } instanceId)
        {
            attributes[ServiceIdentity.InstanceIdKey] = instanceId;
        }

        var key = string.Join('\u001f', attributes.Select(pair => pair.Key + "\u001e" + pair.Value));
        if (!entry.Series.TryGetValue(key, out var series))
        {
            if (entry.Series.Count >= _limits.MaxSeriesPerMetric)
            {
                return null;
            }

            series = new MetricSeries(new Dictionary<string, string>(attributes, StringComparer.Ordinal), _limits.MaxMetricPoints);
            entry.Series.Add(key, series);
        }

        return series;
    }

    private static string Key(string serviceName, string metricName) => serviceName + "\n" + metricName;

    private sealed class MetricEntry(MetricInstrument instrument)
    {
        public MetricInstrument Instrument { get; } = instrument;

        public Dictionary<string, MetricSeries> Series { get; } = new(StringComparer.Ordinal);
    }

    private sealed class MetricSeries(IReadOnlyDictionary<string, string> attributes, int capacity)
    {
        public IReadOnlyDictionary<string, string> Attributes { get; } = attributes;

        public RingBuffer<MetricPointView> Points { get; } = new(capacity);

        /// <summary>Running total of a delta sum, so stored sums are always cumulative.</summary>
        public double DeltaTotal { get; set; }

        public ulong[]? PreviousBuckets { get; set; }

        public ulong PreviousStart { get; set; }

        public ulong PreviousCount { get; set; }
    }
}

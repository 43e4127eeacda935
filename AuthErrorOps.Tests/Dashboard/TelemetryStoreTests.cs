using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Metrics;
using AuthErrorOps.Dashboard.Otlp.Proto.Common;
using AuthErrorOps.Dashboard.Otlp.Proto.Metrics;
using AuthErrorOps.Dashboard.Telemetry;
using Xunit;
using ProtoResource = AuthErrorOps.Dashboard.Otlp.Proto.Resource.Resource;

namespace AuthErrorOps.Tests.Dashboard;

/// <summary>The pipeline rates: counters summed over instances, per second over the last 10 s, at a fixed clock.</summary>
public sealed class TelemetryStoreTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 11, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_counter_rate_is_summed_over_instances_over_the_last_ten_seconds()
    {
        var store = new TelemetryStore(new TelemetryLimits(), new FixedTime(Now));
        // consumer-1: +10/s over the last 10 s (faster before); consumer-2: +5/s; a duplicate series does not count.
        store.AddMetrics(Counter("consumer", "consumer-1", "linked", (-20, 0), (-10, 400), (-5, 450), (0, 500)));
        store.AddMetrics(Counter("consumer", "consumer-2", "linked", (-10, 100), (0, 150)));
        store.AddMetrics(Counter("consumer", "consumer-2", "duplicate", (-10, 0), (0, 1_000)));

        var rate = store.RatePerSecond("consumer", "autherrorops.consumer.consumed", TimeSpan.FromSeconds(10), new("outcome", "linked"));

        Assert.Equal(15, rate);
        Assert.Null(store.RatePerSecond("relay", "autherrorops.relay.published", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_series_that_stopped_reporting_adds_nothing()
    {
        var store = new TelemetryStore(new TelemetryLimits(), new FixedTime(Now));
        store.AddMetrics(Counter("ingest", "ingest-1", "linked", (-70, 0), (-60, 600)));

        Assert.Equal(0, store.RatePerSecond("ingest", "autherrorops.consumer.consumed", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_gauge_that_reports_NaN_is_stored_without_a_value()
    {
        var store = new TelemetryStore(new TelemetryLimits(), new FixedTime(Now));
        var gauge = new Gauge();
        gauge.DataPoints.Add(new NumberDataPoint { TimeUnixNano = (ulong)(Now - DateTime.UnixEpoch).Ticks * 100, AsDouble = double.NaN });
        store.AddMetrics(new ExportMetricsServiceRequest
        {
            ResourceMetrics =
            {
                new ResourceMetrics
                {
                    Resource = new ProtoResource { Attributes = { Attribute("service.name", "relay") } },
                    ScopeMetrics = { new ScopeMetrics { Metrics = { new Metric { Name = "relay.lag", Gauge = gauge } } } },
                },
            },
        });

        var point = Assert.Single(Assert.Single(store.GetMetric("relay", "relay.lag", TimeSpan.FromMinutes(5))!.Series).Points);
        Assert.Null(point.Value);
    }

    private static ExportMetricsServiceRequest Counter(string service, string instance, string outcome, params (int Seconds, long Value)[] points)
    {
        var sum = new Sum { IsMonotonic = true, AggregationTemporality = AggregationTemporality.Cumulative };
        foreach (var (seconds, value) in points)
        {
            sum.DataPoints.Add(new NumberDataPoint
            {
                TimeUnixNano = (ulong)(Now.AddSeconds(seconds) - DateTime.UnixEpoch).Ticks * 100,
                AsInt = value,
                Attributes = { Attribute("outcome", outcome) },
            });
        }

        return new ExportMetricsServiceRequest
        {
            ResourceMetrics =
            {
                new ResourceMetrics
                {
                    Resource = new ProtoResource { Attributes = { Attribute("service.name", service), Attribute("service.instance.id", instance) } },
                    ScopeMetrics = { new ScopeMetrics { Metrics = { new Metric { Name = "autherrorops.consumer.consumed", Sum = sum } } } },
                },
            },
        };
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private sealed class FixedTime(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }
}

using System.Diagnostics.Metrics;
using AuthErrorOps.Core.Outbox;
using RabbitMQ.Client;

namespace AuthErrorOps.Relay.Telemetry;

/// <summary>Meter <c>AuthErrorOps.Relay</c>: throughput, failures by reason, confirm latency, reaping, retention, the backlog and the broker connection.</summary>
public sealed class RelayMetrics
{
    public const string MeterName = "AuthErrorOps.Relay";

    private readonly Counter<long> _published;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _reaped;
    private readonly Counter<long> _deleted;
    private readonly Histogram<double> _confirmLatency;
    private readonly Histogram<int> _claimSize;
    private volatile OutboxCounts? _backlog;

    public RelayMetrics(IMeterFactory meterFactory, IConnection connection)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("autherrorops.relay.published", "{message}", "Outbox rows confirmed by the broker and marked PUBLISHED.");
        _failures = meter.CreateCounter<long>("autherrorops.relay.publish_failures", "{message}", "Publishes not confirmed, by reason (unroutable, nack, timeout, connection); only connection failures leave attempts uncounted.");
        _reaped = meter.CreateCounter<long>("autherrorops.relay.reaped", "{row}", "PROCESSING rows whose lease expired, returned to PENDING.");
        _deleted = meter.CreateCounter<long>("autherrorops.relay.retention_deleted", "{row}", "PUBLISHED rows deleted after the retention period.");
        _confirmLatency = meter.CreateHistogram<double>("autherrorops.relay.confirm_latency", "s", "Time from publish to broker confirm.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] });
        _claimSize = meter.CreateHistogram<int>("autherrorops.relay.claim_batch_size", "{row}", "Rows claimed per claim statement.");
        meter.CreateObservableGauge("autherrorops.outbox.rows", ObserveBacklog, "{row}",
            "Outbox rows not yet published, by status (PENDING, PROCESSING, DEAD); PUBLISHED rows are counted by GET /api/ops/outbox.");
        meter.CreateObservableGauge("autherrorops.relay.broker_connected", () => connection.IsOpen ? 1 : 0, "{connection}",
            "1 while the broker connection is open; at 0 the relay claims nothing and the backlog grows.");
        meter.CreateObservableGauge("autherrorops.outbox.oldest_pending_age", () => _backlog?.OldestPendingAgeSeconds ?? 0, "s", "Age of the oldest PENDING row.");
    }

    public void Published(int count) => _published.Add(count);

    public void PublishFailed(string reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Reaped(int count) => _reaped.Add(count);

    public void Deleted(int count)
    {
        if (count > 0)
        {
            _deleted.Add(count);
        }
    }

    public void Confirmed(TimeSpan latency) => _confirmLatency.Record(latency.TotalSeconds);

    public void Claimed(int count)
    {
        if (count > 0)
        {
            _claimSize.Record(count);
        }
    }

    /// <summary>Set by <c>OutboxBacklogMonitor</c>; gauges read the last snapshot instead of querying per scrape.</summary>
    public void UpdateBacklog(OutboxCounts counts) => _backlog = counts;

    private IEnumerable<Measurement<long>> ObserveBacklog() =>
        _backlog?.Counts.Select(pair => new Measurement<long>(pair.Value, new KeyValuePair<string, object?>("status", pair.Key))) ?? [];
}

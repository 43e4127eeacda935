using System.Diagnostics.Metrics;

namespace AuthErrorOps.Consumer.Telemetry;

/// <summary>Meter <c>AuthErrorOps.Consumer</c>: consumption by outcome, latencies, batch sizes and waits, retries, dead letters and new clusters.</summary>
public sealed class ConsumerMetrics
{
    public const string MeterName = "AuthErrorOps.Consumer";

    private readonly Counter<long> _consumed;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _newClusters;
    private readonly Histogram<double> _processing;
    private readonly Histogram<double> _ingestToLinked;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchLinger;

    public ConsumerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        double[] buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
        _consumed = meter.CreateCounter<long>("autherrorops.consumer.consumed", "{message}", "Deliveries handled, by outcome (linked, duplicate, retried, dead_lettered).");
        _retries = meter.CreateCounter<long>("autherrorops.consumer.retries", "{message}", "Deliveries sent to a retry tier, by tier.");
        _deadLetters = meter.CreateCounter<long>("autherrorops.consumer.dead_letters", "{message}", "Messages recorded in the dead-letter ledger, by reason.");
        _newClusters = meter.CreateCounter<long>("autherrorops.consumer.new_clusters", "{cluster}", "Clusters created (first error of a new root cause).");
        _processing = meter.CreateHistogram<double>("autherrorops.consumer.processing_duration", "s", "Time to process one delivery, from the start of its batch to its ack.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
        _batchSize = meter.CreateHistogram<int>("autherrorops.consumer.batch_size", "{message}", "Deliveries collected into one batch (one transaction for the well-formed ones).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] });
        _batchLinger = meter.CreateHistogram<double>("autherrorops.consumer.batch_linger", "s",
            "How long a batch could wait for more deliveries after its first: its loop's previous batch's processing time, at most Consumer:BatchLinger.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _ingestToLinked = meter.CreateHistogram<double>("autherrorops.consumer.ingest_to_linked", "s", "From auth_error.received_at to its cluster link.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
    }

    public void Consumed(string outcome, TimeSpan elapsed)
    {
        _consumed.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _processing.Record(elapsed.TotalSeconds);
    }

    /// <summary>A batch collected: how many deliveries, and how long it could wait for them after its first.</summary>
    public void BatchCollected(int deliveries, TimeSpan linger)
    {
        _batchSize.Record(deliveries);
        _batchLinger.Record(linger.TotalSeconds);
    }

    public void Linked(DateTime receivedAt, bool newCluster)
    {
        _ingestToLinked.Record(Math.Max(0, (DateTime.UtcNow - DateTime.SpecifyKind(receivedAt, DateTimeKind.Utc)).TotalSeconds));
        if (newCluster)
        {
            _newClusters.Add(1);
        }
    }

    public void Retried(string tier) => _retries.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void DeadLettered(string reason) => _deadLetters.Add(1, new KeyValuePair<string, object?>("reason", reason));
}

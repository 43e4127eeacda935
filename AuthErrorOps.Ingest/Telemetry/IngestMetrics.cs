using System.Diagnostics.Metrics;

namespace AuthErrorOps.Ingest.Telemetry;

/// <summary>Meter <c>AuthErrorOps.Ingest</c>: what was accepted, repeated or refused, and how long accepting took.</summary>
public sealed class IngestMetrics
{
    public const string MeterName = "AuthErrorOps.Ingest";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _duration;

    public IngestMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _accepted = meter.CreateCounter<long>("autherrorops.ingest.accepted", "{event}", "Auth errors stored with their outbox event.");
        _duplicates = meter.CreateCounter<long>("autherrorops.ingest.duplicates", "{event}", "Repeats of an already stored requestId (answered with the same ids).");
        _rejected = meter.CreateCounter<long>("autherrorops.ingest.rejected", "{request}", "Requests or batch items refused, by reason.");
        _duration = meter.CreateHistogram<double>("autherrorops.ingest.duration", "s", "Time to validate, normalise and store a request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    }

    public void Accepted(int count, TimeSpan elapsed)
    {
        if (count > 0)
        {
            _accepted.Add(count);
        }

        _duration.Record(elapsed.TotalSeconds);
    }

    public void Duplicate(int count)
    {
        if (count > 0)
        {
            _duplicates.Add(count);
        }
    }

    public void Rejected(int? status) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", Reason(status)));

    public void RejectedItems(int count)
    {
        if (count > 0)
        {
            _rejected.Add(count, new KeyValuePair<string, object?>("reason", "invalid_item"));
        }
    }

    private static string Reason(int? status) => status switch
    {
        400 => "malformed",
        409 => "conflict",
        413 => "too_large",
        415 => "media_type",
        422 => "invalid",
        _ => "other",
    };
}

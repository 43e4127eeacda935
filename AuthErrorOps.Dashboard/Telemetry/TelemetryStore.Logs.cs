using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Logs;

namespace AuthErrorOps.Dashboard.Telemetry;

public sealed partial class TelemetryStore
{
    private const string OriginalFormatKey = "{OriginalFormat}";

    private readonly Lock _logsLock = new();
    private readonly RingBuffer<LogView> _logs;

    public int LogCount
    {
        get
        {
            lock (_logsLock)
            {
                return _logs.Count;
            }
        }
    }

    internal void AddLogs(ExportLogsServiceRequest request)
    {
        var received = new List<LogView>();
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var identity = ServiceIdentity.Of(resourceLogs.Resource);
            var service = Service(identity);
            var before = received.Count;
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var category = scopeLogs.Scope?.Name ?? "";
                foreach (var record in scopeLogs.LogRecords)
                {
                    var attributes = OtlpConvert.Attributes(record.Attributes);
                    var message = OtlpConvert.Text(record.Body);
                    if (message.Length == 0 && attributes.TryGetValue(OriginalFormatKey, out var format))
                    {
                        message = format;
                    }

                    var severity = (int)record.SeverityNumber;
                    var time = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
                    received.Add(new LogView(
                        time == 0 ? now : OtlpConvert.Time(time),
                        identity.ServiceName,
                        identity.InstanceId,
                        severity == 0 && record.SeverityText.Length > 0 ? record.SeverityText : LogLevels.NameOf(severity),
                        severity,
                        category,
                        message,
                        OtlpConvert.HexId(record.TraceId),
                        OtlpConvert.HexId(record.SpanId),
                        attributes));
                }
            }

            Interlocked.Add(ref service.LogCount, received.Count - before);
        }

        lock (_logsLock)
        {
            foreach (var log in received)
            {
                if (_logs.Add(log, out var evicted))
                {
                    Interlocked.Decrement(ref Service(evicted!.ServiceName).LogCount);
                }
            }
        }
    }

    /// <summary>Logs matching <paramref name="query"/>, newest (last received) first.</summary>
    public ListResult<LogView> QueryLogs(LogQuery query)
    {
        var items = new List<LogView>(Math.Clamp(query.Limit, 0, 1000));
        var total = 0;
        lock (_logsLock)
        {
            foreach (var log in _logs.NewestFirst())
            {
                if (!Matches(log, query))
                {
                    continue;
                }

                total++;
                if (items.Count < query.Limit)
                {
                    items.Add(log);
                }
            }
        }

        return new ListResult<LogView>(items, total);
    }

    private static bool Matches(LogView log, LogQuery query) =>
        (string.IsNullOrEmpty(query.Resource)
            || string.Equals(log.ServiceName, query.Resource, StringComparison.OrdinalIgnoreCase)
            || string.Equals(log.InstanceId, query.Resource, StringComparison.OrdinalIgnoreCase))
        && (query.MinimumSeverityNumber is not { } minimum || log.SeverityNumber >= minimum)
        && (string.IsNullOrEmpty(query.TraceId) || string.Equals(log.TraceId, query.TraceId, StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrEmpty(query.Text)
            || log.Message.Contains(query.Text, StringComparison.OrdinalIgnoreCase)
            || log.Category.Contains(query.Text, StringComparison.OrdinalIgnoreCase)
            || log.Attributes.Values.Any(value => value.Contains(query.Text, StringComparison.OrdinalIgnoreCase)));
}

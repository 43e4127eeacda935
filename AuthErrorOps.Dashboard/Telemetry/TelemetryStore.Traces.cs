using AuthErrorOps.Dashboard.Otlp.Proto.Collector.Trace;
using AuthErrorOps.Dashboard.Otlp.Proto.Trace;

namespace AuthErrorOps.Dashboard.Telemetry;

public sealed partial class TelemetryStore
{
    private readonly Lock _tracesLock = new();
    private readonly Dictionary<string, TraceEntry> _traces = new(StringComparer.Ordinal);
    private readonly LinkedList<TraceEntry> _tracesByAge = new();
    private readonly LinkedList<SpanView> _spansByAge = new();

    public int SpanCount
    {
        get
        {
            lock (_tracesLock)
            {
                return _spansByAge.Count;
            }
        }
    }

    public int TraceCount
    {
        get
        {
            lock (_tracesLock)
            {
                return _traces.Count;
            }
        }
    }

    internal void AddTraces(ExportTraceServiceRequest request)
    {
        var received = new List<SpanView>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var identity = ServiceIdentity.Of(resourceSpans.Resource);
            var service = Service(identity);
            var before = received.Count;
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope?.Name ?? "";
                foreach (var span in scopeSpans.Spans)
                {
                    if (ToView(span, identity, scope) is { } view)
                    {
                        received.Add(view);
                    }
                }
            }

            Interlocked.Add(ref service.SpanCount, received.Count - before);
        }

        lock (_tracesLock)
        {
            foreach (var span in received)
            {
                if (!_traces.TryGetValue(span.TraceId, out var trace))
                {
                    trace = new TraceEntry();
                    trace.AgeNode = _tracesByAge.AddLast(trace);
                    _traces.Add(span.TraceId, trace);
                }

                trace.Spans.Enqueue(_spansByAge.AddLast(span));
            }

            while (_spansByAge.Count > _limits.MaxSpans)
            {
                RemoveOldestSpan();
            }

            while (_traces.Count > _limits.MaxTraces)
            {
                RemoveTrace(_tracesByAge.First!.Value);
            }
        }
    }

    /// <summary>Traces matching <paramref name="query"/>, newest first (by start time).</summary>
    public ListResult<TraceSummary> QueryTraces(TraceQuery query)
    {
        var attribute = ParseAttributeFilter(query.Attribute);
        var matches = new List<(TraceSummary Summary, int Arrival)>();
        lock (_tracesLock)
        {
            var arrival = 0;
            foreach (var trace in _tracesByAge)
            {
                if (Matches(trace, query, attribute))
                {
                    matches.Add((Summarize(trace), arrival));
                }

                arrival++;
            }
        }

        // Newest first; traces that started at the same instant in the order they arrived, newest first too.
        matches.Sort((a, b) => b.Summary.StartTime.CompareTo(a.Summary.StartTime) is var byStart and not 0 ? byStart : b.Arrival.CompareTo(a.Arrival));
        return new ListResult<TraceSummary>([.. matches.Take(Math.Max(0, query.Limit)).Select(match => match.Summary)], matches.Count);
    }

    /// <summary>The trace's spans by start time, or null if none of them is stored.</summary>
    public TraceDetails? GetTrace(string traceId)
    {
        var id = traceId.ToLowerInvariant();
        SpanView[] spans;
        lock (_tracesLock)
        {
            if (!_traces.TryGetValue(id, out var trace))
            {
                return null;
            }

            spans = [.. trace.Spans.Select(node => node.Value)];
        }

        Array.Sort(spans, (a, b) => a.StartTime.CompareTo(b.StartTime));
        return new TraceDetails(id, spans);
    }

    private static SpanView? ToView(Span span, ServiceIdentity identity, string scope)
    {
        if (OtlpConvert.HexId(span.TraceId) is not { } traceId || OtlpConvert.HexId(span.SpanId) is not { } spanId)
        {
            return null;
        }

        var start = OtlpConvert.Time(span.StartTimeUnixNano);
        var end = OtlpConvert.Time(span.EndTimeUnixNano);
        if (end < start)
        {
            end = start;
        }

        return new SpanView(
            traceId,
            spanId,
            OtlpConvert.HexId(span.ParentSpanId),
            span.Name,
            span.Kind switch
            {
                Span.Types.SpanKind.Server => "Server",
                Span.Types.SpanKind.Client => "Client",
                Span.Types.SpanKind.Producer => "Producer",
                Span.Types.SpanKind.Consumer => "Consumer",
                _ => "Internal",
            },
            identity.ServiceName,
            identity.InstanceId,
            scope,
            start,
            end,
            (end - start).TotalMilliseconds,
            span.Status?.Code switch
            {
                Status.Types.StatusCode.Ok => "Ok",
                Status.Types.StatusCode.Error => "Error",
                _ => "Unset",
            },
            string.IsNullOrEmpty(span.Status?.Message) ? null : span.Status.Message,
            OtlpConvert.Attributes(span.Attributes),
            [.. span.Events.Select(e => new SpanEventView(e.Name, OtlpConvert.Time(e.TimeUnixNano), OtlpConvert.Attributes(e.Attributes)))],
            [.. span.Links.Select(l => new SpanLinkView(OtlpConvert.HexId(l.TraceId) ?? "", OtlpConvert.HexId(l.SpanId) ?? ""))]);
    }

    private void RemoveOldestSpan()
    {
        var oldest = _spansByAge.First!;
        _spansByAge.RemoveFirst();
        Interlocked.Decrement(ref Service(oldest.Value.ServiceName).SpanCount);
        var trace = _traces[oldest.Value.TraceId];
        trace.Spans.Dequeue(); // the store's oldest span is its trace's oldest too: both are kept in arrival order
        if (trace.Spans.Count == 0)
        {
            _traces.Remove(oldest.Value.TraceId);
            _tracesByAge.Remove(trace.AgeNode!);
        }
    }

    private void RemoveTrace(TraceEntry trace)
    {
        foreach (var node in trace.Spans)
        {
            _spansByAge.Remove(node);
            Interlocked.Decrement(ref Service(node.Value.ServiceName).SpanCount);
        }

        _traces.Remove(trace.Spans.Peek().Value.TraceId);
        _tracesByAge.Remove(trace.AgeNode!);
    }

    private static (string Key, string Value)? ParseAttributeFilter(string? attribute)
    {
        if (string.IsNullOrEmpty(attribute))
        {
            return null;
        }

        var separator = attribute.IndexOf('=');
        return separator < 0 ? (attribute, "") : (attribute[..separator], attribute[(separator + 1)..]);
    }

    private static bool Matches(TraceEntry trace, TraceQuery query, (string Key, string Value)? attribute)
    {
        bool resource = string.IsNullOrEmpty(query.Resource), name = string.IsNullOrEmpty(query.Name), text = string.IsNullOrEmpty(query.Text);
        var hasError = query.HasError is null;
        var attributeFound = attribute is null;
        var anyError = false;
        foreach (var node in trace.Spans)
        {
            var span = node.Value;
            anyError |= span.IsError;
            resource = resource
                || string.Equals(span.ServiceName, query.Resource, StringComparison.OrdinalIgnoreCase)
                || string.Equals(span.InstanceId, query.Resource, StringComparison.OrdinalIgnoreCase);
            name = name || span.Name.Contains(query.Name!, StringComparison.OrdinalIgnoreCase);
            attributeFound = attributeFound
                || (span.Attributes.TryGetValue(attribute!.Value.Key, out var value) && value == attribute.Value.Value);
            text = text || ContainsText(span, query.Text!);
        }

        if (query.HasError is { } wanted)
        {
            hasError = wanted == anyError;
        }

        return resource && name && hasError && attributeFound && text;
    }

    private static bool ContainsText(SpanView span, string text) =>
        span.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
        || span.Attributes.Values.Any(value => value.Contains(text, StringComparison.OrdinalIgnoreCase))
        || span.Events.Any(e => e.Name.Contains(text, StringComparison.OrdinalIgnoreCase));

    private static TraceSummary Summarize(TraceEntry trace)
    {
        var first = trace.Spans.Peek().Value;
        DateTime start = first.StartTime, end = first.EndTime;
        var errors = 0;
        var services = new List<string>(2);
        SpanView? root = null;
        foreach (var node in trace.Spans)
        {
            var span = node.Value;
            start = span.StartTime < start ? span.StartTime : start;
            end = span.EndTime > end ? span.EndTime : end;
            errors += span.IsError ? 1 : 0;
            if (!services.Contains(span.ServiceName))
            {
                services.Add(span.ServiceName);
            }

            if (span.ParentSpanId is null && (root is null || span.StartTime < root.StartTime))
            {
                root = span;
            }
        }

        // No span without a parent yet (the root has not arrived): the earliest span whose parent is missing.
        root ??= EarliestOrphan(trace) ?? first;
        return new TraceSummary(first.TraceId, root.Name, root.ServiceName, start, (end - start).TotalMilliseconds, trace.Spans.Count, errors, services);
    }

    private static SpanView? EarliestOrphan(TraceEntry trace)
    {
        var ids = trace.Spans.Select(node => node.Value.SpanId).ToHashSet(StringComparer.Ordinal);
        return trace.Spans
            .Select(node => node.Value)
            .Where(span => span.ParentSpanId is null || !ids.Contains(span.ParentSpanId))
            .MinBy(span => span.StartTime);
    }

    private sealed class TraceEntry
    {
        /// <summary>In arrival order, so the trace's oldest span is first.</summary>
        public Queue<LinkedListNode<SpanView>> Spans { get; } = new();

        public LinkedListNode<TraceEntry>? AgeNode { get; set; }
    }
}

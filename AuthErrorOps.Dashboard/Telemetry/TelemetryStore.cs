using System.Collections.Concurrent;

namespace AuthErrorOps.Dashboard.Telemetry;

/// <summary>
/// What the OTLP receiver got: spans grouped by trace, logs, and metric series, each bounded by
/// <see cref="TelemetryLimits"/> with the oldest dropped first. Thread-safe: one lock per signal, held
/// for a received batch (work proportional to the batch, never to the store) or a query.
/// </summary>
public sealed partial class TelemetryStore
{
    private readonly TelemetryLimits _limits;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ServiceEntry> _services = new(StringComparer.Ordinal);

    public TelemetryStore(TelemetryLimits limits, TimeProvider? time = null)
    {
        limits.Validate();
        _limits = limits;
        _time = time ?? TimeProvider.System;
        _logs = new RingBuffer<LogView>(limits.MaxLogs);
    }

    public TelemetryLimits Limits => _limits;

    /// <summary>Every service that sent anything, with its instances and what of it is stored now.</summary>
    public IReadOnlyList<TelemetryResource> GetResources() =>
        [.. _services.Values
            .Select(service => service.ToView())
            .OrderBy(service => service.ServiceName, StringComparer.Ordinal)];

    private ServiceEntry Service(ServiceIdentity identity)
    {
        var service = _services.GetOrAdd(identity.ServiceName, static name => new ServiceEntry(name));
        if (identity.InstanceId is { } instanceId)
        {
            service.InstanceIds.TryAdd(instanceId, 0);
        }

        return service;
    }

    private ServiceEntry Service(string serviceName) => _services.GetOrAdd(serviceName, static name => new ServiceEntry(name));

    /// <summary>True when <paramref name="resource"/> is empty, the service's name or one of its instance ids.</summary>
    private bool IsServiceOrInstance(string? resource, string serviceName) =>
        string.IsNullOrEmpty(resource)
        || string.Equals(resource, serviceName, StringComparison.OrdinalIgnoreCase)
        || (_services.TryGetValue(serviceName, out var service) && service.InstanceIds.Keys.Any(id => string.Equals(id, resource, StringComparison.OrdinalIgnoreCase)));

    private sealed class ServiceEntry(string name)
    {
        public int SpanCount;
        public int LogCount;
        public int MetricCount;

        public ConcurrentDictionary<string, byte> InstanceIds { get; } = new(StringComparer.Ordinal);

        public TelemetryResource ToView() =>
            new(name, [.. InstanceIds.Keys.Order(StringComparer.Ordinal)], Volatile.Read(ref SpanCount), Volatile.Read(ref LogCount), Volatile.Read(ref MetricCount));
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AuthErrorOps.Consumer.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>
/// The consumer metrics of the given hosts only (their meters are scoped to each host's IMeterFactory, so tests running
/// alongside do not count): deliveries by outcome, batch sizes and batch waits, from the moment it is created.
/// </summary>
public sealed class ConsumerMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _outcomes = new();
    private readonly ConcurrentQueue<int> _batchSizes = new();
    private readonly ConcurrentQueue<double> _batchLingers = new();

    public ConsumerMeasurements(params IServiceProvider[] hosts)
    {
        var scopes = hosts.Select(host => (object)host.GetRequiredService<IMeterFactory>()).ToHashSet();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConsumerMetrics.MeterName && instrument.Meter.Scope is { } scope && scopes.Contains(scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "autherrorops.consumer.consumed")
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "outcome", Value: string outcome })
                    {
                        _outcomes.AddOrUpdate(outcome, value, (_, total) => total + value);
                    }
                }
            }
        });
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "autherrorops.consumer.batch_size")
            {
                _batchSizes.Enqueue(value);
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "autherrorops.consumer.batch_linger")
            {
                _batchLingers.Enqueue(value);
            }
        });
        _listener.Start();
    }

    public long Consumed(string outcome) => _outcomes.GetValueOrDefault(outcome);

    public long ConsumedTotal => _outcomes.Values.Sum();

    public IReadOnlyCollection<int> BatchSizes => _batchSizes;

    /// <summary>Each batch's wait budget after its first delivery, in seconds.</summary>
    public IReadOnlyCollection<double> BatchLingers => _batchLingers;

    public void Dispose() => _listener.Dispose();
}

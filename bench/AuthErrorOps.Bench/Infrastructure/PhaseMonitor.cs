using System.Diagnostics;
using AuthErrorOps.Bench.Reporting;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// Samples a phase once per interval into named time series and rewrites one progress line
/// (<c>\r</c>) with the latest values. The sample function gets the seconds since the previous
/// sample: on a loaded machine a tick comes late, so rates must divide by it, not assume 1 s.
/// </summary>
public sealed class PhaseMonitor : IAsyncDisposable
{
    private readonly TextWriter _progress;
    private readonly Func<double, Task<IReadOnlyDictionary<string, double>>> _sample;
    private readonly Func<double, IReadOnlyDictionary<string, double>, string> _describe;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Dictionary<string, List<Point>> _series = new(StringComparer.Ordinal);
    private Task? _loop;
    private double _previousSeconds;

    public PhaseMonitor(TextWriter progress, TimeSpan interval, Func<double, Task<IReadOnlyDictionary<string, double>>> sample,
        Func<double, IReadOnlyDictionary<string, double>, string> describe)
    {
        _progress = progress;
        _interval = interval;
        _sample = sample;
        _describe = describe;
        _loop = Task.Run(LoopAsync);
    }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    public IReadOnlyList<Point> this[string series]
    {
        get
        {
            lock (_series)
            {
                return _series.TryGetValue(series, out var points) ? points.ToList() : [];
            }
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<Point>> Select(params string[] names)
    {
        lock (_series)
        {
            return names.Where(_series.ContainsKey).ToDictionary(name => name, name => (IReadOnlyList<Point>)_series[name].ToList(), StringComparer.Ordinal);
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<Point>> SelectPrefixed(string prefix)
    {
        lock (_series)
        {
            return _series.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(s => s.Key[prefix.Length..], s => (IReadOnlyList<Point>)s.Value.ToList(), StringComparer.Ordinal);
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await SampleOnceAsync();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task SampleOnceAsync()
    {
        var now = Elapsed.TotalSeconds;
        var seconds = Math.Round(now, 2);
        var sinceLast = Math.Max(0.001, now - _previousSeconds);
        _previousSeconds = now;
        IReadOnlyDictionary<string, double> values;
        try
        {
            values = await _sample(sinceLast);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or TimeoutException)
        {
            _progress.Write($"\r  sampling failed: {exception.Message}".PadRight(110));
            return;
        }

        lock (_series)
        {
            foreach (var (name, value) in values)
            {
                if (!_series.TryGetValue(name, out var points))
                {
                    _series[name] = points = [];
                }

                points.Add(new Point(seconds, value));
            }
        }

        _progress.Write("\r  " + _describe(seconds, values).PadRight(108));
    }

    /// <summary>Takes a last sample, ends the progress line and stops.</summary>
    public async Task StopAsync()
    {
        if (_loop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loop;
        _loop = null;
        await SampleOnceAsync();
        _progress.WriteLine();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

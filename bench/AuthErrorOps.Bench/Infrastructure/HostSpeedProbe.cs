using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AuthErrorOps.Bench.Reporting;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>The probe's samples over a phase: CPU milliseconds the same work took, median and spread.</summary>
public sealed record HostSpeed(double MedianMs, double P10Ms, double P90Ms, int Samples)
{
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"reference work {MedianMs:0.00} ms of CPU (p10 {P10Ms:0.00}, p90 {P90Ms:0.00}, {Samples} samples)");
}

/// <summary>
/// Times a fixed piece of work in CPU time, once per interval through a run. In a virtual machine whose host shares
/// its cores, the guest counts the time its virtual CPU was held off as the CPU time of whatever it was running, and
/// shows no steal: the same work then costs more CPU, and so does every CPU-seconds figure of the run. Two runs'
/// CPU figures compare only alongside their probe's median. The thread's CPU clock (<c>CLOCK_THREAD_CPUTIME_ID</c>)
/// is exact to the nanosecond; <c>/proc</c> only moves at the scheduler's tick. Linux only; elsewhere it measures nothing.
/// </summary>
public sealed class HostSpeedProbe(TimeSpan interval) : IAsyncDisposable
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private readonly List<Point> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private Task? _loop;
    private ulong _sink;

    public void Start()
    {
        if (OperatingSystem.IsLinux())
        {
            _loop = Task.Run(LoopAsync);
        }
    }

    /// <summary>CPU milliseconds of each sample, by seconds since the probe started; read once the probe is disposed.</summary>
    public IReadOnlyList<Point> Samples => _samples;

    public HostSpeed? Summary()
    {
        var sorted = Samples.Select(p => p.Value).Order().ToArray();
        return sorted.Length == 0 ? null : new HostSpeed(Quantile(sorted, 0.5), Quantile(sorted, 0.1), Quantile(sorted, 0.9), sorted.Length);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var cpuMs = MeasureOnce();
                _samples.Add(new Point(Stopwatch.GetElapsedTime(_started).TotalSeconds, cpuMs));
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>The work runs between two reads of the thread's CPU clock, with nothing to await in between.</summary>
    // Optimised from the first call: a first tier of the loop would make the first samples slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double MeasureOnce()
    {
        var before = ThreadCpuNanoseconds();
        // About 1.8 ms of integer work on an idle machine of this kind: a thousandth of a core at one sample per 2 s.
        var x = _sink | 1;
        for (var i = 0; i < 1_000_000; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }

        _sink = x;
        return (ThreadCpuNanoseconds() - before) / 1e6;
    }

    private static double ThreadCpuNanoseconds()
    {
        _ = ClockGetTime(ThreadCpuClock, out var now);
        return (now.Seconds * 1e9) + now.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clockId, out TimeSpec time);

    private static double Quantile(double[] sorted, double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}

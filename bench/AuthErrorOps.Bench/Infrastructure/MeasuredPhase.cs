using System.Diagnostics;
using AuthErrorOps.Bench.Reporting;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// The measured part of a run: CPU and memory of every process, machine load, the host's speed
/// (<see cref="HostSpeedProbe"/>), and PostgreSQL wait events between <see cref="Begin"/> and <see cref="EndAsync"/>.
/// </summary>
public sealed class MeasuredPhase
{
    private readonly BenchSystem _system;
    private readonly IReadOnlyList<ProcessSample> _processesAtStart;
    private readonly double _machineBusyAtStart;
    private readonly string _loadAverageAtStart;
    private readonly long _started;
    private readonly PostgresActivitySampler _activity;
    private readonly HostSpeedProbe _hostSpeed = new(TimeSpan.FromSeconds(2));

    private MeasuredPhase(BenchSystem system)
    {
        _system = system;
        _loadAverageAtStart = ProcessMeter.LoadAverage();
        _processesAtStart = system.Meter.Sample();
        _machineBusyAtStart = ProcessMeter.MachineBusySeconds();
        _activity = new PostgresActivitySampler(system.DataSource, TimeSpan.FromMilliseconds(250));
        _activity.Start();
        _hostSpeed.Start();
        _started = Stopwatch.GetTimestamp();
    }

    public static MeasuredPhase Begin(BenchSystem system) => new(system);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    public async Task<TimeSpan> EndAsync(BenchReport report)
    {
        var elapsed = Elapsed;
        var processes = _system.Meter.Sample();
        var machineBusy = ProcessMeter.MachineBusySeconds() - _machineBusyAtStart;
        await _activity.DisposeAsync();
        await _hostSpeed.DisposeAsync();
        report.Processes.AddRange(ProcessMeter.Usage(_processesAtStart, processes, elapsed));
        report.WaitEvents.AddRange(_activity.Summary());
        report.Conditions = new RunConditions(
            Environment.ProcessorCount, _loadAverageAtStart, ProcessMeter.LoadAverage(),
            elapsed.TotalSeconds > 0 ? machineBusy / (elapsed.TotalSeconds * Environment.ProcessorCount) : 0,
            ProcessMeter.SchedulerGrouping(),
            ProcessMeter.HugePages(),
            _system.Target.ServicesAreExternal ? "running system" : (_system.Target.AuthDb is null ? "own servers and services (AppHost model)" : "given servers, own services"),
            _hostSpeed.Summary());
        if (_hostSpeed.Samples is { Count: > 0 } samples)
        {
            report.Panels.Add(new Panel("Host speed: CPU time of a fixed piece of work (higher = slower machine)", "ms",
                new Dictionary<string, IReadOnlyList<Point>> { ["reference work"] = samples }));
        }

        return elapsed;
    }
}

using AuthErrorOps.Bench.Infrastructure;

namespace AuthErrorOps.Bench.Reporting;

/// <summary>A stage figure, with the raw baseline measured in the same run when there is one.</summary>
public sealed record Figure(string Name, double Value, string Unit, double? Baseline = null)
{
    /// <summary>Value / baseline: how much of the raw ceiling the product reaches.</summary>
    public double? Ratio => Baseline is > 0 ? Value / Baseline : null;
}

/// <summary>A correctness check of the run (counts exact, nothing lost).</summary>
public sealed record Check(string Name, bool Passed, string Detail);

/// <summary>One point of a time series: seconds since the measured phase started.</summary>
public sealed record Point(double Seconds, double Value);

/// <summary>Series drawn in one chart panel, with the unit of its y axis.</summary>
public sealed record Panel(string Title, string Unit, IReadOnlyDictionary<string, IReadOnlyList<Point>> Series);

/// <summary>Machine conditions of a run: the figures are only as good as these.</summary>
public sealed record RunConditions(int Cores, string LoadAverageBefore, string LoadAverageAfter, double MachineCpuBusyShare, string Scheduler, string HugePages, string Target, HostSpeed? HostSpeed = null)
{
    /// <summary>One line for the console and the chart's header.</summary>
    public string Describe() =>
        $"{Cores} cores; load average before {LoadAverageBefore}, after {LoadAverageAfter}; machine CPU busy {MachineCpuBusyShare:P0}; scheduler {Scheduler}; huge pages {HugePages}; {Target}"
        + (HostSpeed is { } speed ? $"; {speed.Describe()}" : "");
}

/// <summary>Everything a command measured: printed as a table, written as JSON and as an HTML chart.</summary>
public sealed class BenchReport(string command)
{
    public string Command { get; } = command;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);

    public List<Figure> Figures { get; } = [];

    public List<Check> Checks { get; } = [];

    public List<Panel> Panels { get; } = [];

    public List<ProcessUsage> Processes { get; } = [];

    /// <summary>PostgreSQL sessions by state and wait event, as sampled from pg_stat_activity.</summary>
    public List<WaitEventCount> WaitEvents { get; } = [];

    public List<string> Notes { get; } = [];

    public RunConditions? Conditions { get; set; }

    public string? JsonPath { get; set; }

    public string? ChartPath { get; set; }

    public bool Passed => Checks.All(check => check.Passed);

    public Figure Add(Figure figure)
    {
        Figures.Add(figure);
        return figure;
    }

    public Figure Figure(string name) => Figures.First(figure => figure.Name == name);

    public void Check(string name, bool passed, string detail) => Checks.Add(new Check(name, passed, detail));
}

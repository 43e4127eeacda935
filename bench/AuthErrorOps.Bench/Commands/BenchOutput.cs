using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Bench.Reporting;

namespace AuthErrorOps.Bench.Commands;

/// <summary>The end of every command: JSON and HTML under the output folder, then the table.</summary>
public static class BenchOutput
{
    public static async Task FinishAsync(BenchReport report, BenchTarget target, TextWriter console, CancellationToken cancellationToken)
    {
        await ReportWriter.WriteFilesAsync(report, target.OutputDirectory, cancellationToken);
        ReportWriter.PrintTable(report, console);
    }

    public static Dictionary<string, IReadOnlyList<Point>> Merge(params IReadOnlyDictionary<string, IReadOnlyList<Point>>?[] parts) =>
        parts.Where(p => p is not null).SelectMany(p => p!).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}

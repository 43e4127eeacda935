using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AuthErrorOps.Bench.Reporting;

/// <summary>Prints a report as a console table and writes it as JSON and as a self-contained HTML page with SVG charts.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void PrintTable(BenchReport report, TextWriter console)
    {
        console.WriteLine();
        console.WriteLine($"== {report.Command}  {string.Join("  ", report.Parameters.Select(p => $"{p.Key}={p.Value}"))}");
        if (report.Conditions is { } conditions)
        {
            console.WriteLine($"   {conditions.Describe()}");
        }

        console.WriteLine();
        console.WriteLine($"   {"figure",-44} {"value",14} {"unit",-10} {"baseline",12} {"ratio",7}");
        foreach (var figure in report.Figures)
        {
            console.WriteLine($"   {figure.Name,-44} {Number(figure.Value),14} {figure.Unit,-10} {(figure.Baseline is { } b ? Number(b) : ""),12} {(figure.Ratio is { } r ? r.ToString("P0", CultureInfo.InvariantCulture) : ""),7}");
        }

        if (report.Processes.Count > 0)
        {
            console.WriteLine();
            console.WriteLine($"   {"process",-24} {"CPU s",8} {"cores",6} {"RSS start",10} {"RSS end",10}");
            foreach (var process in report.Processes)
            {
                console.WriteLine($"   {process.Name,-24} {process.CpuSeconds,8:0.0} {process.CpuShare,6:0.00} {Megabytes(process.RssStartBytes),10} {Megabytes(process.RssEndBytes),10}");
            }
        }

        if (report.WaitEvents.Count > 0)
        {
            console.WriteLine();
            console.WriteLine($"   {"PostgreSQL sessions (sampled)",-44} {"avg",6} {"share of non-idle",18}");
            foreach (var wait in report.WaitEvents.Take(8))
            {
                console.WriteLine($"   {wait.State + " / " + wait.WaitEvent,-44} {wait.AverageSessions,6:0.0} {(wait.State == "idle" ? "" : wait.Share.ToString("P0", CultureInfo.InvariantCulture)),18}");
            }
        }

        if (report.Checks.Count > 0)
        {
            console.WriteLine();
            foreach (var check in report.Checks)
            {
                console.WriteLine($"   [{(check.Passed ? "ok" : "FAIL")}] {check.Name}: {check.Detail}");
            }
        }

        foreach (var note in report.Notes)
        {
            console.WriteLine($"   note: {note}");
        }

        if (report.JsonPath is not null)
        {
            console.WriteLine();
            console.WriteLine($"   result {report.JsonPath}");
            console.WriteLine($"   chart  {report.ChartPath}");
        }
    }

    public static async Task WriteFilesAsync(BenchReport report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"{report.Command}-{report.StartedAt:yyyyMMdd-HHmmss}");
        report.JsonPath = Path.GetFullPath(stem + ".json");
        report.ChartPath = Path.GetFullPath(stem + ".html");
        await File.WriteAllTextAsync(report.JsonPath, JsonSerializer.Serialize(report, Json), cancellationToken);
        await File.WriteAllTextAsync(report.ChartPath, Html(report), cancellationToken);
    }

    private static string Html(BenchReport report)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
            .Append(Encode($"AuthErrorOps bench: {report.Command}"))
            .Append("</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
            .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.fail{color:#b00}</style></head><body>");
        html.Append("<h1>").Append(Encode($"{report.Command} — {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC")).Append("</h1><p>")
            .Append(Encode(string.Join(", ", report.Parameters.Select(p => $"{p.Key} = {p.Value}")))).Append("</p>");
        if (report.Conditions is { } c)
        {
            html.Append("<p>").Append(Encode(c.Describe())).Append("</p>");
        }

        html.Append("<table><tr><th>figure</th><th>value</th><th>unit</th><th>baseline</th><th>ratio</th></tr>");
        foreach (var f in report.Figures)
        {
            html.Append("<tr><td>").Append(Encode(f.Name)).Append("</td><td>").Append(Number(f.Value)).Append("</td><td>").Append(Encode(f.Unit))
                .Append("</td><td>").Append(f.Baseline is { } b ? Number(b) : "").Append("</td><td>")
                .Append(f.Ratio is { } r ? r.ToString("P0", CultureInfo.InvariantCulture) : "").Append("</td></tr>");
        }

        html.Append("</table>");
        foreach (var panel in report.Panels)
        {
            html.Append("<div>").Append(SvgChart.Render(panel)).Append("</div>");
        }

        if (report.Processes.Count > 0)
        {
            html.Append("<table><tr><th>process</th><th>CPU s</th><th>cores</th><th>RSS start</th><th>RSS end</th></tr>");
            foreach (var p in report.Processes)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Encode(p.Name)}</td><td>{p.CpuSeconds:0.0}</td><td>{p.CpuShare:0.00}</td><td>{Megabytes(p.RssStartBytes)}</td><td>{Megabytes(p.RssEndBytes)}</td></tr>");
            }

            html.Append("</table>");
        }

        if (report.WaitEvents.Count > 0)
        {
            html.Append("<table><tr><th>PostgreSQL sessions: state / wait event</th><th>average sessions</th><th>share of non-idle</th></tr>");
            foreach (var w in report.WaitEvents)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Encode(w.State + " / " + w.WaitEvent)}</td><td>{w.AverageSessions:0.00}</td><td>{w.Share:P0}</td></tr>");
            }

            html.Append("</table>");
        }

        if (report.Checks.Count > 0)
        {
            html.Append("<ul>");
            foreach (var check in report.Checks)
            {
                html.Append(check.Passed ? "<li>" : "<li class=\"fail\">").Append(check.Passed ? "ok: " : "FAIL: ").Append(Encode($"{check.Name}: {check.Detail}")).Append("</li>");
            }

            html.Append("</ul>");
        }

        foreach (var note in report.Notes)
        {
            html.Append("<p>").Append(Encode(note)).Append("</p>");
        }

        return html.Append("</body></html>").ToString();
    }

    private static string Number(double value) => SvgChart.Format(value);

    private static string Megabytes(long? bytes) => bytes is { } b ? (b / 1024.0 / 1024.0).ToString("0.0 'MB'", CultureInfo.InvariantCulture) : "";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}

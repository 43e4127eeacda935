using System.Globalization;
using System.Net;
using System.Text;

namespace AuthErrorOps.Bench.Reporting;

/// <summary>A line chart of one panel as inline SVG: axes, ticks, one polyline per series, a legend. No scripts.</summary>
public static class SvgChart
{
    private const int Width = 900;
    private const int Height = 260;
    private const int Left = 70;
    private const int Right = 180;
    private const int Top = 30;
    private const int Bottom = 35;
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

    public static string Render(Panel panel)
    {
        var points = panel.Series.Values.SelectMany(p => p).ToList();
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{Escape(panel.Title)} ({Escape(panel.Unit)})</text>"));
        if (points.Count == 0)
        {
            svg.Append(Invariant($"<text x=\"{Left}\" y=\"{Height / 2}\">no data</text></svg>"));
            return svg.ToString();
        }

        var maxX = Math.Max(1, points.Max(p => p.Seconds));
        var maxY = NiceCeiling(points.Max(p => p.Value));
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(double seconds) => Left + seconds / maxX * plotWidth;
        double Y(double value) => Top + plotHeight - value / maxY * plotHeight;

        svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#999\"/>"));
        for (var i = 0; i <= 4; i++)
        {
            var value = maxY * i / 4;
            var y = Y(value);
            svg.Append(Invariant($"<line x1=\"{Left}\" x2=\"{Left + plotWidth}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Format(value)}</text>"));
            var seconds = maxX * i / 4;
            svg.Append(Invariant($"<text x=\"{X(seconds):0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{seconds:0.#} s</text>"));
        }

        var index = 0;
        foreach (var (name, series) in panel.Series)
        {
            var colour = Colours[index % Colours.Length];
            var line = string.Join(' ', series.OrderBy(p => p.Seconds).Select(p => Invariant($"{X(p.Seconds):0.#},{Y(p.Value):0.#}")));
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{line}\"/>"));
            var legendY = Top + 14 + index * 16;
            svg.Append(Invariant($"<line x1=\"{Width - Right + 10}\" x2=\"{Width - Right + 30}\" y1=\"{legendY - 4}\" y2=\"{legendY - 4}\" stroke=\"{colour}\" stroke-width=\"2\"/>"));
            svg.Append(Invariant($"<text x=\"{Width - Right + 35}\" y=\"{legendY}\">{Escape(name)}</text>"));
            index++;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.First(s => s * magnitude >= value);
        return step * magnitude;
    }

    public static string Format(double value) => value switch
    {
        >= 100 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

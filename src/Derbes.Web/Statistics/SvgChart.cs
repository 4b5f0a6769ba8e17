using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Derbes.Web.Statistics;

/// <summary>
/// Draws a table's chart as SVG on the server: no script, no inline style (the CSP allows neither; the colours are
/// classes in site.css). The SVG is one image to assistive technology (role="img" with its title and description);
/// the table beside it holds the same figures. A cell shown as "&lt;10" is drawn as a dashed outline up to the minimum
/// (a count) or not at all (a rate), never as its true size.
/// </summary>
public static class SvgChart
{
    private const int Width = 400;

    public static string Render(StatTable table, StatChart chart, string id, string description, int minimum)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(chart);
        var rows = table.Rows.Where(r => r.IsTotal == chart.TotalRows).ToList();
        var svg = new StringBuilder();
        var max = chart.Percent ? 100.0 : NiceCeiling(Math.Max(
            rows.SelectMany(r => chart.Columns.Select(c => r.Cells[c].Value ?? 0)).DefaultIfEmpty(0).Max(),
            rows.Any(r => chart.Columns.Any(c => r.Cells[c].Suppressed)) ? minimum : 1));
        var height = chart.Horizontal ? Math.Max(rows.Count, 1) * 38 * chart.Columns.Count + 12 : 220;
        svg.Append(Inv($"<svg class=\"chart\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">"));
        svg.Append(Inv($"<title id=\"{id}-title\">")).Append(Encode(table.Title)).Append("</title>");
        svg.Append(Inv($"<desc id=\"{id}-desc\">")).Append(Encode(description)).Append("</desc>");
        if (chart.Horizontal)
        {
            Horizontal(svg, table, chart, rows, max, minimum);
        }
        else
        {
            Vertical(svg, table, chart, rows, max, minimum);
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>One bar per row and column, its label above it and its figure after it (categories: purposes, kinds, campaigns).</summary>
    private static void Horizontal(StringBuilder svg, StatTable table, StatChart chart, List<StatRow> rows, double max, int minimum)
    {
        const double BarMax = 300;
        var y = 4.0;
        foreach (var row in rows)
        {
            for (var s = 0; s < chart.Columns.Count; s++)
            {
                var cell = row.Cells[chart.Columns[s]];
                var label = chart.Columns.Count > 1 ? row.Label + " · " + table.Columns[chart.Columns[s] + 1] : row.Label;
                svg.Append(Inv($"<text class=\"chart-label\" x=\"0\" y=\"{y + 12:0.#}\">")).Append(Encode(label)).Append("</text>");
                var barY = y + 16;
                double width;
                if (cell.Suppressed)
                {
                    width = chart.Percent ? 0 : BarMax * minimum / max;
                    if (width > 0)
                    {
                        svg.Append(Inv($"<rect class=\"chart-few\" x=\"0.5\" y=\"{barY:0.#}\" width=\"{width:0.#}\" height=\"14\"/>"));
                    }
                }
                else
                {
                    width = BarMax * (cell.Value ?? 0) / max;
                    svg.Append(Inv($"<rect class=\"chart-bar series-{s}\" x=\"0\" y=\"{barY:0.#}\" width=\"{width:0.#}\" height=\"14\"/>"));
                }
                svg.Append(Inv($"<text class=\"chart-value\" x=\"{width + 4:0.#}\" y=\"{barY + 11:0.#}\">")).Append(Encode(cell.Text)).Append("</text>");
                y += 38;
            }
        }
    }

    /// <summary>Bars per period (one or two series side by side) over a scale with three lines, a few period labels below.</summary>
    private static void Vertical(StringBuilder svg, StatTable table, StatChart chart, List<StatRow> rows, double max, int minimum)
    {
        const double Left = 44, Right = 6, Top = 8, Bottom = 40, Height = 220;
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        foreach (var fraction in new[] { 0.0, 0.5, 1.0 })
        {
            var y = Top + plotHeight * (1 - fraction);
            svg.Append(Inv($"<line class=\"chart-axis\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\"/>"));
            svg.Append(Inv($"<text class=\"chart-scale\" x=\"{Left - 4}\" y=\"{y + 4:0.#}\">{max * fraction:0.##}</text>"));
        }
        if (rows.Count == 0)
        {
            return;
        }
        var group = plotWidth / rows.Count;
        var bar = group * 0.8 / chart.Columns.Count;
        for (var i = 0; i < rows.Count; i++)
        {
            for (var s = 0; s < chart.Columns.Count; s++)
            {
                var cell = rows[i].Cells[chart.Columns[s]];
                var x = Left + group * i + group * 0.1 + bar * s;
                var value = cell.Suppressed ? minimum : cell.Value ?? 0;
                var h = plotHeight * value / max;
                var cssClass = cell.Suppressed ? "chart-few" : "chart-bar series-" + s.ToString(CultureInfo.InvariantCulture);
                svg.Append(Inv($"<rect class=\"{cssClass}\" x=\"{x:0.##}\" y=\"{Top + plotHeight - h:0.##}\" width=\"{Math.Max(bar, 0.5):0.##}\" height=\"{h:0.##}\">"))
                    .Append("<title>").Append(Encode(rows[i].Label + " · " + table.Columns[chart.Columns[s] + 1] + ": " + cell.Text)).Append("</title></rect>");
            }
        }
        // At most four labels under the axis (the first, the last and evenly between), days without their year.
        var labels = Math.Min(rows.Count, 4);
        var shown = new SortedSet<int>(Enumerable.Range(0, labels).Select(k => labels == 1 ? 0 : (int)Math.Round(k * (rows.Count - 1) / (double)(labels - 1))));
        foreach (var i in shown)
        {
            var x = Left + group * (i + 0.5);
            var anchor = i == 0 && rows.Count > 1 ? "start" : i == rows.Count - 1 && rows.Count > 1 ? "end" : "middle";
            var label = rows[i].Label.Split('–')[0];
            label = label.Length == 10 && label[2] == '.' && label[5] == '.' ? label[..5] : label;
            svg.Append(Inv($"<text class=\"chart-label {anchor}\" x=\"{(anchor == "start" ? Left : anchor == "end" ? Width - Right : x):0.#}\" y=\"{Height - Bottom + 16}\">")).Append(Encode(label)).Append("</text>");
        }
        if (chart.Columns.Count > 1)
        {
            var lx = Left;
            for (var s = 0; s < chart.Columns.Count; s++)
            {
                svg.Append(Inv($"<rect class=\"chart-bar series-{s}\" x=\"{lx:0.#}\" y=\"{Height - 14}\" width=\"10\" height=\"10\"/>"));
                svg.Append(Inv($"<text class=\"chart-label\" x=\"{lx + 14:0.#}\" y=\"{Height - 5}\">")).Append(Encode(table.Columns[chart.Columns[s] + 1])).Append("</text>");
                lx += 160;
            }
        }
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 1)
        {
            return 1;
        }
        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2, 5, 10 })
        {
            if (step * power >= value)
            {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

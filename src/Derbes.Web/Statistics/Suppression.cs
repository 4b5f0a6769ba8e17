using System.Globalization;

namespace Derbes.Web.Statistics;

/// <summary>One cell of a statistics table as shown: its text, and for the charts its value (null when not shown).</summary>
public sealed record StatCell(string Text, double? Value, bool Suppressed)
{
    /// <summary>What a suppressed cell shows, on the page, in the charts and in the CSV alike.</summary>
    public const string Few = "<10";

    /// <summary>A rate with nothing to divide by (no customers at all), or a total that has nothing certain to show.</summary>
    public static readonly StatCell None = new("—", null, false);

    public bool IsExact => Value is not null && !Suppressed && !Text.StartsWith('≥');
}

/// <summary>
/// The "fewer than ten" rule of the depersonalised statistics (Art. 17, policy 2.2.5), applied the same way to the page,
/// its charts and its CSV files, because they all take their cells from here.
/// <list type="bullet">
/// <item>A count of 1 to <c>minimum − 1</c> shows as "&lt;10" (whatever the minimum; "&lt;10" is the rule's name). A count of
/// 0 shows as 0: it describes no customer, and hiding it would make "nobody" look like "a few" (a campaign without
/// opt-outs, a day without registrations), while telling nothing about anyone.</item>
/// <item>A part shown beside its whole (confirmed of registered, verified of reviewed, agreeing of all with a record)
/// is hidden too when the rest (whole − part) is 1 to <c>minimum − 1</c>: "25 registered, 20 confirmed" would otherwise
/// tell that 5 did not confirm. A rate is hidden under the same rule, and when its whole is itself under the minimum.</item>
/// <item>A total of a breakdown (a table's total row, a summary figure) is exact only when no cell of that breakdown is
/// hidden; otherwise it shows "≥ N", the sum of the cells shown, or "—" when none is. A hidden cell therefore can
/// never be recovered by subtracting the cells shown from the total. A single hidden cell beside an exact total was
/// the alternative (the usual "secondary suppression" hides a second cell instead), but it hides figures that are
/// not small, and "≥" says plainly what is known; grouping by week or month gives exact totals whenever the
/// periods are large enough.</item>
/// </list>
/// What the rule does not prevent is comparing two different views (two overlapping date ranges, or "all languages"
/// against one language): the figures are counts by day and language only, never tied to anything else about a
/// customer, so such a difference tells that a few people registered or signed in on a day, not who.
/// </summary>
public sealed class Suppression(int minimum)
{
    public int Minimum { get; } = minimum;

    private bool IsFew(long n) => n > 0 && n < Minimum;

    public StatCell Count(long n) => IsFew(n) ? Hidden : Exact(n);

    /// <summary>A count shown beside the whole it is part of.</summary>
    public StatCell Part(long part, long whole) => IsFew(part) || IsFew(whole - part) ? Hidden : Exact(part);

    /// <summary>The share <paramref name="part"/> / <paramref name="whole"/> in per cent, one decimal.</summary>
    public StatCell Rate(long part, long whole)
    {
        if (whole == 0)
        {
            return StatCell.None;
        }
        if (IsFew(part) || IsFew(whole - part) || IsFew(whole))
        {
            return Hidden;
        }
        var percent = Math.Round(100.0 * part / whole, 1);
        return new StatCell(percent.ToString("0.0", CultureInfo.InvariantCulture) + " %", percent, false);
    }

    /// <summary>A rate from two cells already decided (totals): hidden unless both are exact.</summary>
    public StatCell Rate(StatCell part, StatCell whole, long truePart, long trueWhole)
    {
        ArgumentNullException.ThrowIfNull(part);
        ArgumentNullException.ThrowIfNull(whole);
        return part.IsExact && whole.IsExact ? Rate(truePart, trueWhole) : trueWhole == 0 ? StatCell.None : Hidden;
    }

    /// <summary>The total of <paramref name="cells"/>, whose true sum is <paramref name="trueTotal"/> (see the rules above).</summary>
    public StatCell Total(IEnumerable<StatCell> cells, long trueTotal)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var list = cells.ToList();
        if (list.All(c => c.IsExact || c.Value is null && !c.Suppressed))
        {
            return Count(trueTotal);
        }
        var shown = (long)list.Where(c => c.IsExact).Sum(c => c.Value!.Value);
        return shown == 0 ? StatCell.None : new StatCell("≥ " + shown.ToString(CultureInfo.InvariantCulture), shown, false);
    }

    private static StatCell Exact(long n) => new(n.ToString(CultureInfo.InvariantCulture), n, false);

    private static readonly StatCell Hidden = new(StatCell.Few, null, true);
}

using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Statistics;

/// <summary>The "Statistics" section: how often the daily figures are brought up to date and how they are shown.</summary>
public sealed class StatisticsOptions
{
    public const string Section = "Statistics";

    /// <summary>How often the job recomputes the recent days (and today's snapshot); read before each wait.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How many days before the last computed day each run computes again, besides the days since. Late changes
    /// within them are caught: an email confirmed the day after registering (the link lasts 24 hours), a sign-in
    /// written just before midnight. Older days are never recomputed, so figures already shown do not shift when
    /// the retention destroys unconfirmed accounts or old sign-in history.
    /// </summary>
    [Range(0, 31)]
    public int RecomputeDays { get; set; } = 2;

    /// <summary>The smallest number of customers a figure may describe; smaller figures show as "&lt;10" (Art. 17).</summary>
    [Range(2, 1000)]
    public int MinimumCell { get; set; } = 10;

    /// <summary>The longest range the page accepts, in days (about three years).</summary>
    [Range(1, 3700)]
    public int MaxRangeDays { get; set; } = 1096;
}

using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Requests;

/// <summary>
/// When the daily digest of open requests and the escalation of overdue ones go out (the "Requests" section, beside
/// <see cref="RequestOptions"/>). Read at every run, so a changed time applies from the next check.
/// </summary>
public sealed class RequestDigestOptions
{
    public const string Section = RequestOptions.Section;

    /// <summary>The time of day in Asia/Almaty, on working days (issue 7: 09:00).</summary>
    public TimeOnly DigestTime { get; set; } = new(9, 0);

    /// <summary>
    /// How often each instance looks again between two digest times: an instance that failed at 09:00 (the database
    /// was away) or started after it sends the day's digest at its next look, still that working day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "06:00:00")]
    public TimeSpan DigestCheckInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests listed per group in one email; the rest are counted, with the link to the full list.</summary>
    [Range(1, 1000)]
    public int DigestMaxListed { get; set; } = 100;
}

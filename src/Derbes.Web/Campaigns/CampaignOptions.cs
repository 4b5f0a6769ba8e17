using System.ComponentModel.DataAnnotations;
using Derbes.Web.Calendar;

namespace Derbes.Web.Campaigns;

public sealed class CampaignOptions
{
    public const string Section = "Campaigns";

    /// <summary>When sending may start on a working day, Asia/Almaty time.</summary>
    public TimeOnly WindowStart { get; set; } = new(9, 0);
    /// <summary>When sending stops on a working day, Asia/Almaty time; a campaign not done by then goes on at the next start.</summary>
    public TimeOnly WindowEnd { get; set; } = new(21, 0);
    /// <summary>Whether weekends and public holidays (the working calendar) are outside the window.</summary>
    public bool WorkingDaysOnly { get; set; } = true;

    /// <summary>The pace of a campaign's emails: at most this many a minute reach the outbox.</summary>
    [Range(1, 100_000)]
    public int EmailsPerMinute { get; set; } = 600;
    [Range(1, 100_000)]
    public int SmsPerMinute { get; set; } = 300;

    /// <summary>How often each instance starts due campaigns, queues their audience and releases their next messages.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Recipients queued per transaction when a campaign starts.</summary>
    [Range(100, 100_000)]
    public int PlanBatchSize { get; set; } = 5000;
}

/// <summary>
/// When campaign messages may leave: working days (per the working calendar, holidays and transfers included)
/// between the window's start and end, Asia/Almaty time.
/// </summary>
public sealed record SendWindow(WorkingCalendar Calendar, CampaignOptions Options)
{
    public bool IsOpen(DateTimeOffset at)
    {
        var local = at.ToAlmaty();
        var date = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        return IsSendingDay(date) && time >= Options.WindowStart && time < Options.WindowEnd;
    }

    /// <summary>The next moment the window is open, <paramref name="at"/> itself if it is; null when it never opens (a window of no length).</summary>
    public DateTimeOffset? NextOpen(DateTimeOffset at)
    {
        if (Options.WindowEnd <= Options.WindowStart)
        {
            return null;
        }
        if (IsOpen(at))
        {
            return at;
        }
        var local = at.ToAlmaty();
        var date = DateOnly.FromDateTime(local.DateTime);
        if (TimeOnly.FromDateTime(local.DateTime) >= Options.WindowStart)
        {
            date = date.AddDays(1);
        }
        // A year holds a working day whatever the calendar says; stop looking after two.
        for (var i = 0; i < 730; i++, date = date.AddDays(1))
        {
            if (IsSendingDay(date))
            {
                return new DateTimeOffset(date.ToDateTime(Options.WindowStart), WorkingCalendar.AlmatyOffset).ToUniversalTime();
            }
        }
        return null;
    }

    private bool IsSendingDay(DateOnly date) => !Options.WorkingDaysOnly || Calendar.IsWorkingDay(date);
}

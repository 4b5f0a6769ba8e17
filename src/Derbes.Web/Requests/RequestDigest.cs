using System.Globalization;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Requests;

/// <summary>One open request as the digest lists it: its number, kind and dates, never who filed it.</summary>
public sealed record DigestItem(long Id, string Number, RequestKind Kind, DateOnly DueOn, bool Assigned, int WorkingDaysOverdue);

/// <summary>The open requests of a day by urgency (<see cref="RequestUrgencies"/>), each group by due date.</summary>
public sealed record RequestDigestGroups(IReadOnlyList<DigestItem> Overdue, IReadOnlyList<DigestItem> DueToday, IReadOnlyList<DigestItem> DueSoon)
{
    public bool IsEmpty => Overdue.Count == 0 && DueToday.Count == 0 && DueSoon.Count == 0;
}

/// <summary>
/// The daily digest of open requests and the escalation of overdue ones (issue 7). Every working day of the
/// Kazakhstan calendar (never a weekend, a holiday or a transfer day off; a transfer working Saturday is one), at
/// <see cref="RequestDigestOptions.DigestTime"/> in Asia/Almaty: one email to each active Privacy Officer with the
/// open requests overdue, due today and due within 3 working days, or a short "nothing is due" so the officer knows
/// the job runs (a silent day and a broken job would otherwise look alike); and, when anything is overdue, one email
/// to each active Administrator listing it with the working days past due.
/// <para>
/// Each day's run of each is one <see cref="DigestRun"/> row, saved in one transaction with the emails it queued and
/// its audit entry, under the audit chain's lock (one writer across instances on PostgreSQL): whichever instance comes
/// first sends, the others find the row and send nothing, and a restart later that day finds it too. An instance
/// that was down (or failing) at the time sends the day's run at its next look, as long as it is still that working
/// day; it never sends a past day's. The emails name requests by number only (no customer's name, email or phone),
/// each with its link to the staff area.
/// </para>
/// </summary>
public sealed partial class RequestDigest(
    IServiceScopeFactory scopes,
    WorkingCalendarProvider calendars,
    IOptionsMonitor<RequestDigestOptions> options,
    TimeProvider clock,
    ILogger<RequestDigest> logger) : PeriodicJob(clock, logger)
{
    /// <summary>Until the next digest time, or the check interval if that comes first (a retry after a failure, a catch-up).</summary>
    protected override TimeSpan Interval
    {
        get
        {
            var settings = options.CurrentValue;
            var local = Clock.GetUtcNow().ToAlmaty();
            var next = new DateTimeOffset(DateOnly.FromDateTime(local.DateTime).ToDateTime(settings.DigestTime), WorkingCalendar.AlmatyOffset);
            if (next <= local)
            {
                next = next.AddDays(1);
            }
            var until = next - local;
            return until < settings.DigestCheckInterval ? until : settings.DigestCheckInterval;
        }
    }

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => SendDueAsync(cancellationToken);

    /// <summary>
    /// Sends today's digest and escalation if today is a working day, the digest time has come and they were not sent
    /// yet (by this instance or another); returns the runs this call made.
    /// </summary>
    public async Task<IReadOnlyList<DigestRun>> SendDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var local = Clock.GetUtcNow().ToAlmaty();
        var today = DateOnly.FromDateTime(local.DateTime);
        if (TimeOnly.FromDateTime(local.DateTime) < settings.DigestTime)
        {
            return [];
        }
        var calendar = await calendars.CurrentAsync(cancellationToken);
        if (!calendar.IsWorkingDay(today))
        {
            return [];
        }
        var done = new List<DigestRun>();
        foreach (var kind in new[] { DigestKind.Digest, DigestKind.Escalation })
        {
            if (await RunAsync(kind, today, calendar, settings, cancellationToken) is { } run)
            {
                done.Add(run);
            }
        }
        return done;
    }

    /// <summary>How many working days a request due on <paramref name="dueOn"/> is past it on <paramref name="today"/>: the working days after the due date up to today.</summary>
    public static int WorkingDaysOverdue(DateOnly dueOn, DateOnly today, WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var days = 0;
        for (var date = dueOn.AddDays(1); date <= today; date = date.AddDays(1))
        {
            if (calendar.IsWorkingDay(date))
            {
                days++;
            }
        }
        return days;
    }

    /// <summary>The open requests of <paramref name="today"/> by urgency; those due later than 3 working days are left out.</summary>
    public static async Task<RequestDigestGroups> GroupsAsync(DerbesDb db, DateOnly today, WorkingCalendar calendar, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(calendar);
        var horizon = calendar.AddWorkingDays(today, RequestUrgencies.SoonWorkingDays);
        // Open as CustomerRequest.IsOpen says (written out: the property is not translated to SQL).
        var open = await db.CustomerRequests.AsNoTracking()
            .Where(r => r.Status != RequestStatus.Answered && r.Status != RequestStatus.Closed && r.DueOn <= horizon)
            .OrderBy(r => r.DueOn).ThenBy(r => r.Id)
            .Select(r => new { r.Id, r.Number, r.Kind, r.DueOn, Assigned = r.AssigneeId != null })
            .ToListAsync(cancellationToken);
        var items = open
            .Select(r => (Urgency: RequestUrgencies.Of(r.DueOn, today, calendar),
                Item: new DigestItem(r.Id, r.Number, r.Kind, r.DueOn, r.Assigned, today > r.DueOn ? WorkingDaysOverdue(r.DueOn, today, calendar) : 0)))
            .ToList();
        List<DigestItem> Of(RequestUrgency urgency) => [.. items.Where(i => i.Urgency == urgency).Select(i => i.Item)];
        return new RequestDigestGroups(Of(RequestUrgency.Overdue), Of(RequestUrgency.Today), Of(RequestUrgency.Soon));
    }

    private async Task<DigestRun?> RunAsync(DigestKind kind, DateOnly today, WorkingCalendar calendar, RequestDigestOptions settings, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DerbesDb>();
        // A cheap look first: on most checks of the day the run is long done.
        if (await RanAsync(db, kind, today, cancellationToken))
        {
            return null;
        }
        try
        {
            return await db.WithChainLockAsync(async ct =>
            {
                // Under the lock: another instance that ran a moment ago has committed its row.
                if (await RanAsync(db, kind, today, ct))
                {
                    return null;
                }
                var groups = await GroupsAsync(db, today, calendar, ct);
                var recipients = kind == DigestKind.Escalation && groups.Overdue.Count == 0
                    ? []
                    : await Staff.StaffDirectory.ActiveInRoleAsync(db, kind == DigestKind.Digest ? StaffRoles.PrivacyOfficer : StaffRoles.Administrator, ct);
                var directory = services.GetRequiredService<AccountDirectory>();
                var messages = services.GetRequiredService<StaffMessages>();
                foreach (var account in recipients)
                {
                    var profile = directory.Open(account);
                    if (kind == DigestKind.Digest)
                    {
                        messages.RequestDigest(account, profile, today, groups, settings.DigestMaxListed);
                    }
                    else
                    {
                        messages.RequestEscalation(account, profile, today, groups.Overdue, settings.DigestMaxListed);
                    }
                }
                var run = new DigestRun
                {
                    Day = today,
                    Kind = kind,
                    RanAt = Clock.GetUtcNow(),
                    Recipients = recipients.Count,
                    Overdue = groups.Overdue.Count,
                    DueToday = groups.DueToday.Count,
                    DueSoon = groups.DueSoon.Count,
                };
                db.DigestRuns.Add(run);
                // Audited when it sent something (a run with nobody to tell is in its row): counts only.
                if (recipients.Count > 0)
                {
                    services.GetRequiredService<AuditTrail>().Record(
                        kind == DigestKind.Digest ? "requests.digest-sent" : "requests.escalation-sent",
                        (kind == DigestKind.Digest ? "digest:" : "escalation:") + today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        outcome: string.Create(CultureInfo.InvariantCulture, $"recipients:{run.Recipients} overdue:{run.Overdue} today:{run.DueToday} soon:{run.DueSoon}"),
                        actor: "system");
                }
                else if (kind == DigestKind.Digest)
                {
                    LogNobodyToTell(logger, today);
                }
                await db.SaveChangesAsync(ct);
                LogRan(logger, kind, today, run.Recipients);
                return run;
            }, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The key (day, kind) refused a second row: another instance saved the run first, with its emails.
            await using var check = scopes.CreateAsyncScope();
            if (await RanAsync(check.ServiceProvider.GetRequiredService<DerbesDb>(), kind, today, cancellationToken))
            {
                return null;
            }
            throw;
        }
    }

    private static Task<bool> RanAsync(DerbesDb db, DigestKind kind, DateOnly today, CancellationToken cancellationToken) =>
        db.DigestRuns.AsNoTracking().AnyAsync(r => r.Day == today && r.Kind == kind, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Requests {Kind} of {Day} done: {Recipients} emails queued")]
    private static partial void LogRan(ILogger logger, DigestKind kind, DateOnly day, int recipients);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The requests digest of {Day} went to nobody: no active member of staff is a Privacy Officer")]
    private static partial void LogNobodyToTell(ILogger logger, DateOnly day);
}

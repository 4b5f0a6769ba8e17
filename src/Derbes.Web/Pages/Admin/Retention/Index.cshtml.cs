using Derbes.Web.Data;
using Derbes.Web.Retention;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Admin.Retention;

/// <summary>
/// The retention table (issue 9, PrivacyOfficer): each category of data with its period as configured now, why it is
/// kept that long, what happens at its end, what the last run destroyed and kept, and what is due now. Counts only:
/// no customer is named. The periods are set in configuration, most of them also by an Administrator at /admin/settings.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(DerbesDb db, RetentionTable table, RetentionRun run, TimeProvider clock) : PageModel
{
    /// <summary>One row: the rule, what the last finished run did in it, and what is past its time now.</summary>
    public sealed record Row(RetentionRule Rule, RetentionRunCount? Last, int DueNow, int HeldNow);

    public List<Row> Rows { get; } = [];

    /// <summary>The latest run that finished, or null before the first.</summary>
    public RetentionRunRecord? LastRun { get; private set; }

    /// <summary>A run that started and has not finished: running now, or stopped midway and waiting to be taken over.</summary>
    public RetentionRunRecord? OpenRun { get; private set; }

    /// <summary>When the next scheduled run is due (Asia/Almaty).</summary>
    public DateTimeOffset NextRun { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        LastRun = await db.RetentionRuns.AsNoTracking().Include(r => r.Counts).Where(r => r.FinishedAt != null)
            .OrderByDescending(r => r.FinishedAt).FirstOrDefaultAsync(cancellationToken);
        OpenRun = await db.RetentionRuns.AsNoTracking().Where(r => r.FinishedAt == null).OrderByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        NextRun = run.ScheduledAt(now).AddDays(1);
        if (LastRun is null || LastRun.StartedAt < run.ScheduledAt(now))
        {
            // Today's run has not happened yet (before the run time, or on its way): it is the one due at the latest run time.
            NextRun = run.ScheduledAt(now);
        }
        foreach (var rule in table.Rules)
        {
            Rows.Add(new Row(rule,
                LastRun?.Counts.FirstOrDefault(c => c.Category == rule.Category),
                await table.DueCountAsync(db, rule.Category, now, cancellationToken),
                await table.HeldCountAsync(db, rule.Category, now, cancellationToken)));
        }
    }
}

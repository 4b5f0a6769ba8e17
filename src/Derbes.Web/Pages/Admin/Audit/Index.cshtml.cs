using System.Globalization;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Admin.Audit;

/// <summary>
/// The audit trail for the PrivacyOfficer: filtered by customer, actor, role, action and time, exported as CSV,
/// and its chain checked on demand. Looking, exporting and checking are themselves audited.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(DerbesDb db, AuditTrail audit, CheckpointSigner signer) : PageModel
{
    public const int PageSize = 200;

    [BindProperty(SupportsGet = true)]
    public string? Subject { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Role { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? To { get; set; }

    public List<AuditEntry> Entries { get; private set; } = [];
    public ChainReport? Report { get; private set; }

    /// <summary>The key id and public key that checkpoint signatures verify with, shown so it can be handed to an auditor.</summary>
    public string CheckpointKeyId => signer.CurrentKeyId;
    public string? CheckpointPublicKey => signer.PublicKeyHex(signer.CurrentKeyId);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Entries = await Filtered().OrderByDescending(e => e.Id).Take(PageSize).ToListAsync(cancellationToken);
        audit.Record("audit.viewed", Subject is { Length: > 0 } ? Clean(Subject) : "-", outcome: "rows:" + Entries.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The filtered entries as CSV (oldest first), safe to open in a spreadsheet.</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken cancellationToken)
    {
        var rows = await Filtered().OrderBy(e => e.Id).ToListAsync(cancellationToken);
        audit.Record("audit.exported", Subject is { Length: > 0 } ? Clean(Subject) : "-", outcome: "rows:" + rows.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        var csv = new StringBuilder("id,at_utc,actor,role,action,subject,outcome,ip,correlation_id,hash\r\n");
        foreach (var e in rows)
        {
            csv.AppendJoin(',', [
                e.Id.ToString(CultureInfo.InvariantCulture),
                e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                Csv.Cell(e.Actor), Csv.Cell(e.Role), Csv.Cell(e.Action), Csv.Cell(e.Subject), Csv.Cell(e.Outcome), Csv.Cell(e.Ip), Csv.Cell(e.CorrelationId), e.Hash]).Append("\r\n");
        }
        return File(Csv.Bytes(csv), "text/csv; charset=utf-8", "derbes-audit.csv");
    }

    public async Task OnPostVerifyAsync(CancellationToken cancellationToken)
    {
        Report = await ChainVerifier.VerifyAsync(db, signer, cancellationToken);
        audit.Record("audit.verified", "-", outcome: Report.Intact ? "intact"
            : Report.BrokenCheckpoint is { } checkpoint ? "broken:checkpoint:" + checkpoint.ToString(CultureInfo.InvariantCulture)
            : "broken:" + (Report.FirstBrokenAuditEntry ?? Report.FirstBrokenConsentRecord));
        await db.SaveChangesAsync(cancellationToken);
        Entries = await Filtered().OrderByDescending(e => e.Id).Take(PageSize).ToListAsync(cancellationToken);
    }

    private IQueryable<AuditEntry> Filtered()
    {
        var query = db.AuditEntries.AsNoTracking();
        if (Subject is { Length: > 0 })
        {
            var subject = Clean(Subject);
            query = query.Where(e => e.Subject == subject);
        }
        if (Actor is { Length: > 0 })
        {
            var actor = Clean(Actor);
            query = query.Where(e => e.Actor == actor);
        }
        if (Role is { Length: > 0 })
        {
            // A role as written in the entry ("customer", "system", "PrivacyOfficer"); a member of staff with several
            // roles is found by any one of them.
            var role = Clean(Role);
            var among = "," + role + ",";
            query = query.Where(e => e.Role == role || ("," + e.Role + ",").Contains(among));
        }
        if (Action is { Length: > 0 })
        {
            // A prefix, so "customer." finds every customer action; matched as text, never as a pattern.
            var action = Clean(Action);
            query = query.Where(e => e.Action.StartsWith(action));
        }
        // Days as people in Kazakhstan count them (UTC+5).
        if (From is { } from)
        {
            var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), WorkingCalendar.AlmatyOffset).ToUniversalTime();
            query = query.Where(e => e.At >= start);
        }
        if (To is { } to)
        {
            var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), WorkingCalendar.AlmatyOffset).ToUniversalTime();
            query = query.Where(e => e.At < end);
        }
        return query;
    }

    /// <summary>The roles an entry can name, as the filter offers them: staff roles, then customers and the system.</summary>
    public static IEnumerable<(string Value, string Label)> RoleChoices(Func<string, string> staffRole, string customer, string system)
    {
        ArgumentNullException.ThrowIfNull(staffRole);
        foreach (var role in StaffRoles.All)
        {
            yield return (role, staffRole(role));
        }
        yield return (AuditTrail.CustomerRole, customer);
        yield return (AuditTrail.SystemRole, system);
    }

    private static string Clean(string value) => value.Trim().Length <= 64 ? value.Trim() : value.Trim()[..64];
}

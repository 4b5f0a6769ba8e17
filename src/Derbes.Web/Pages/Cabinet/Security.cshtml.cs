using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// The customer's security page (SECURITY-CHECKS 15): their open sessions (device, approximate place, last seen,
/// this device marked), each of the others can be ended; two-step sign-in; and the last sign-ins and failed
/// attempts from the audit trail, so a customer sees at a glance whether someone else has been trying.
/// </summary>
public sealed class SecurityModel(
    DerbesDb db,
    AddressPlaces places,
    RecoveryCodes recovery,
    CustomerSecurity security,
    AuditTrail audit,
    SignInManager<Derbes.Web.Customers.Account> signIn,
    TimeProvider clock) : PageModel
{
    /// <summary>How many recent sign-ins and failed attempts are listed.</summary>
    public const int HistoryLength = CustomerSecurity.HistoryLength;

    public sealed record SessionRow(Guid Id, string? Device, Place Place, DateTimeOffset Started, DateTimeOffset LastSeen, bool ThisDevice);

    /// <summary>One sign-in or failed attempt; <c>What</c> is the resource key of the words for what happened.</summary>
    public sealed record HistoryRow(DateTimeOffset At, string What, bool Failed, Place Place);

    public List<SessionRow> Sessions { get; private set; } = [];
    public List<HistoryRow> History { get; private set; } = [];
    public bool TwoFactorEnabled { get; private set; }
    public int RecoveryCodesLeft { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var id = AccountId;
        var current = CustomerSecurity.CurrentSessionId(User);
        var language = Languages.Current;
        var account = await db.Users.AsNoTracking().Where(a => a.Id == id).Select(a => new { a.TwoFactorEnabled }).SingleAsync(cancellationToken);
        TwoFactorEnabled = account.TwoFactorEnabled;
        RecoveryCodesLeft = TwoFactorEnabled ? await recovery.RemainingAsync(id, cancellationToken) : 0;

        var sessions = await db.Sessions.AsNoTracking().Where(s => s.AccountId == id && s.EndedAt == null).ToListAsync(cancellationToken);
        Sessions = [.. sessions
            .OrderByDescending(s => s.Id == current).ThenByDescending(s => s.LastSeenAt)
            .Select(s => new SessionRow(s.Id, DeviceName.From(s.UserAgent), places.Find(s.Ip, language), s.CreatedAt, s.LastSeenAt, s.Id == current))];

        History = [.. (await security.SignInHistoryAsync(id, cancellationToken))
            .Select(e => new HistoryRow(e.At, "Security.Event." + e.Event, e.Failed, places.Find(e.Ip, language)))];
    }

    /// <summary>
    /// Ends one of the customer's own sessions: that browser is signed out at its next request. A session that is
    /// not theirs (or no longer open) is 404, whoever it belongs to. Ending this very session signs out here.
    /// </summary>
    public async Task<IActionResult> OnPostEndSessionAsync(Guid session, CancellationToken cancellationToken)
    {
        var id = AccountId;
        var open = await db.Sessions.SingleOrDefaultAsync(s => s.Id == session && s.AccountId == id && s.EndedAt == null, cancellationToken);
        if (open is null)
        {
            audit.Record("session.end-refused", id, "not-found");
            await db.SaveChangesAsync(cancellationToken);
            return NotFound();
        }
        open.End(clock.GetUtcNow());
        audit.Record("session.ended", id, "session:" + session.ToString("N"));
        await db.SaveChangesAsync(cancellationToken);
        if (session == CustomerSecurity.CurrentSessionId(User))
        {
            await signIn.SignOutAsync();
            return RedirectToPage("/Index");
        }
        TempData["Notice"] = "Security.Sessions.Ended";
        return RedirectToPage();
    }

    private Guid AccountId => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
}

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
    AuditTrail audit,
    SignInManager<Derbes.Web.Customers.Account> signIn,
    TimeProvider clock) : PageModel
{
    /// <summary>How many recent sign-ins and failed attempts are listed.</summary>
    public const int HistoryLength = 20;

    /// <summary>The audit entries about signing in that the customer is shown.</summary>
    private static readonly string[] HistoryActions = ["signin.succeeded", "signin.failed", "account.locked", "password.change-failed", "2fa.disable-failed", "2fa.recovery-codes-failed"];

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

        var subject = id.ToString();
        var entries = await db.AuditEntries.AsNoTracking()
            .Where(e => e.Subject == subject && HistoryActions.Contains(e.Action))
            .OrderByDescending(e => e.Id)
            .Take(HistoryLength)
            .Select(e => new { e.At, e.Action, e.Outcome, e.Ip })
            .ToListAsync(cancellationToken);
        History = [.. entries.Select(e => new HistoryRow(e.At, Words(e.Action, e.Outcome), e.Action != "signin.succeeded", places.Find(e.Ip, language)))];
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

    /// <summary>The resource key that tells an audit entry about signing in in the customer's words.</summary>
    public static string Words(string action, string outcome) => (action, outcome) switch
    {
        ("signin.succeeded", "2fa") => "Security.Event.SignedInWithCode",
        ("signin.succeeded", "recovery-code") => "Security.Event.SignedInWithRecoveryCode",
        ("signin.succeeded", _) => "Security.Event.SignedIn",
        ("signin.failed", "wrong-password" or "locked-out") => "Security.Event.WrongPassword",
        ("signin.failed", "wrong-2fa") => "Security.Event.WrongCode",
        ("signin.failed", "wrong-recovery-code") => "Security.Event.WrongRecoveryCode",
        ("signin.failed", "locked") => "Security.Event.WhileLocked",
        ("signin.failed", _) => "Security.Event.Refused",
        ("account.locked", _) => "Security.Event.Locked",
        (_, "locked") => "Security.Event.WhileLocked",
        (_, "wrong-code") => "Security.Event.WrongCode",
        _ => "Security.Event.WrongCurrentPassword",
    };

    private Guid AccountId => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
}

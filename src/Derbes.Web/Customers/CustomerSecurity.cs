using System.Security.Claims;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

public enum PasswordRecheck
{
    Right,
    Wrong,
    /// <summary>The account is locked after too many wrong passwords: nothing was checked.</summary>
    Locked,
}

/// <summary>What became of a password change: changed, refused for the current password, or the new one breaks a rule.</summary>
public sealed record PasswordChangeResult(PasswordRecheck Current, PasswordProblem Problem, int OtherSessionsEnded = 0)
{
    public bool Changed => Current == PasswordRecheck.Right && Problem == PasswordProblem.None;
}

/// <summary>
/// One sign-in or failed attempt from the audit trail. <c>Event</c> names what happened (the cabinet's words are
/// <c>Security.Event.{Event}</c>); <c>App</c> when it came through the mobile API.
/// </summary>
public sealed record SignInEvent(DateTimeOffset At, string Event, bool Failed, bool App, string Ip);

/// <summary>
/// What the cabinet's security page needs beyond a single page: the current password asked again before a
/// change (SECURITY-CHECKS 16), counted towards the lockout exactly like a wrong password at sign-in (so a
/// stolen session cannot be used to guess the password), ending the customer's other sessions, and keeping
/// the session that made a change signed in when the change gave the account a new security stamp.
/// </summary>
public sealed class CustomerSecurity(
    DerbesDb db,
    AccountDirectory directory,
    PasswordRules rules,
    AccountMessages messages,
    Argon2PasswordHasher hasher,
    SignInManager<Account> signIn,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    IOptionsMonitor<Retention.RetentionOptions> retention,
    TimeProvider clock)
{
    /// <summary>
    /// Checks the account's current password. A wrong one counts as a failed sign-in: the fifth in a row locks
    /// the account (each lock in a row twice as long, up to a day), audited as <paramref name="failedAction"/>
    /// and <c>account.locked</c>; while locked, no password is checked at all. Saves nothing: the caller saves.
    /// </summary>
    public async Task<PasswordRecheck> CheckPasswordAsync(Account account, string? password, string failedAction)
    {
        ArgumentNullException.ThrowIfNull(account);
        password ??= "";
        var now = clock.GetUtcNow();
        if (Lockout.IsLocked(account, now))
        {
            await hasher.VerifyDummyAsync(password);
            audit.Record(failedAction, account.Id, "locked");
            return PasswordRecheck.Locked;
        }
        var right = Encoding.UTF8.GetByteCount(password) <= options.Value.MaxPasswordBytes
            && account.PasswordHash is not null
            && await hasher.VerifyAsync(account.PasswordHash, password) != PasswordVerificationResult.Failed;
        if (right)
        {
            account.AccessFailedCount = 0;
            return PasswordRecheck.Right;
        }
        RecordFailure(account, failedAction, "wrong-password");
        return PasswordRecheck.Wrong;
    }

    /// <summary>
    /// Counts a wrong password or code against the account, as a wrong password at sign-in does (the counters are
    /// one and the same): the fifth in a row locks it, each lock in a row twice as long as the one before, up to
    /// a day. Audited as <paramref name="failedAction"/> (and <c>account.locked</c>); saved by the caller.
    /// </summary>
    public void RecordFailure(Account account, string failedAction, string outcome)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (Lockout.CountFailure(account, options.Value, clock.GetUtcNow()) is { } duration)
        {
            outcome = "locked-out";
            audit.Record("account.locked", account.Id, duration.ToString());
        }
        audit.Record(failedAction, account.Id, outcome);
    }

    /// <summary>How many recent sign-ins and failed attempts the cabinet and the app list.</summary>
    public const int HistoryLength = 20;

    /// <summary>The audit entries about signing in that the customer is shown.</summary>
    private static readonly string[] HistoryActions = ["signin.succeeded", "signin.failed", "account.locked", "password.change-failed", "2fa.disable-failed", "2fa.recovery-codes-failed"];

    /// <summary>
    /// Changes the password after the current one (a wrong one counts towards the lockout), with the registration
    /// rules for the new one. A new security stamp signs out every other browser and app at its next request and
    /// voids outstanding reset links; every other session is ended; the customer is told by email. Saves. The caller
    /// keeps its own session going: the page with a new cookie, the app with a new pair of tokens.
    /// </summary>
    public async Task<PasswordChangeResult> ChangePasswordAsync(Account account, string? currentPassword, string? newPassword, Guid? keepSession, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var check = await CheckPasswordAsync(account, currentPassword, "password.change-failed");
        if (check != PasswordRecheck.Right)
        {
            await db.SaveChangesAsync(cancellationToken);
            return new PasswordChangeResult(check, PasswordProblem.None);
        }
        var profile = directory.Open(account);
        var problem = rules.Check(newPassword ?? "", PasswordRules.PersonalParts(profile.Email, profile.Phone, profile.FirstName, profile.LastName));
        if (problem != PasswordProblem.None)
        {
            // The right current password still resets the count of wrong ones, as a sign-in would.
            await db.SaveChangesAsync(cancellationToken);
            return new PasswordChangeResult(check, problem);
        }
        account.PasswordHash = await hasher.HashAsync(newPassword!);
        account.SecurityStamp = Guid.NewGuid().ToString("N");
        var ended = await EndOtherSessionsAsync(account.Id, keepSession, cancellationToken);
        messages.PasswordChangedInCabinet(account, profile);
        audit.Record("password.changed", account.Id, "other-sessions-ended:" + ended.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return new PasswordChangeResult(check, PasswordProblem.None, ended);
    }

    /// <summary>
    /// The last sign-ins and failed attempts (of the website and the app), newest first, from the audit trail, within
    /// the sign-in history's retention (<c>Retention:SignInHistory</c>): older entries stay in the trail for its own
    /// purpose and period, and are no longer shown as history.
    /// </summary>
    public async Task<List<SignInEvent>> SignInHistoryAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var subject = accountId.ToString();
        var since = clock.GetUtcNow() - retention.CurrentValue.SignInHistory;
        var entries = await db.AuditEntries.AsNoTracking()
            .Where(e => e.Subject == subject && HistoryActions.Contains(e.Action) && e.At >= since)
            .OrderByDescending(e => e.Id)
            .Take(HistoryLength)
            .Select(e => new { e.At, e.Action, e.Outcome, e.Ip })
            .ToListAsync(cancellationToken);
        return [.. entries.Select(e =>
        {
            var app = e.Outcome.EndsWith(ApiMark, StringComparison.Ordinal);
            var outcome = app ? e.Outcome[..^ApiMark.Length] : e.Outcome;
            return new SignInEvent(e.At, EventOf(e.Action, outcome), e.Action != "signin.succeeded", app, e.Ip);
        })];
    }

    /// <summary>What an audit entry about signing in means, in one word (the outcome without the app's mark).</summary>
    public static string EventOf(string action, string outcome) => (action, outcome) switch
    {
        ("signin.succeeded", "2fa") => "SignedInWithCode",
        ("signin.succeeded", "recovery-code") => "SignedInWithRecoveryCode",
        ("signin.succeeded", _) => "SignedIn",
        ("signin.failed", "wrong-password" or "locked-out") => "WrongPassword",
        ("signin.failed", "wrong-2fa") => "WrongCode",
        ("signin.failed", "wrong-recovery-code") => "WrongRecoveryCode",
        ("signin.failed", "locked") => "WhileLocked",
        ("signin.failed", _) => "Refused",
        ("account.locked", _) => "Locked",
        (_, "locked") => "WhileLocked",
        (_, "wrong-code") => "WrongCode",
        _ => "WrongCurrentPassword",
    };

    /// <summary>How <see cref="PasswordSignIn.Outcome"/> marks what happened through the app.</summary>
    private const string ApiMark = " (api)";

    /// <summary>Ends every open session of the account except <paramref name="keep"/>; returns how many ended (saved by the caller).</summary>
    public async Task<int> EndOtherSessionsAsync(Guid accountId, Guid? keep, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var others = await db.Sessions.Where(s => s.AccountId == accountId && s.EndedAt == null && s.Id != keep).ToListAsync(cancellationToken);
        foreach (var session in others)
        {
            session.End(now);
        }
        return others.Count;
    }

    /// <summary>
    /// Issues this browser a cookie with the account's new security stamp and the same session (same id, same
    /// time of sign-in, so the absolute lifetime still counts from the real sign-in). Without it, the new stamp
    /// that signs every other device out would sign this one out too. Call after the new stamp is saved.
    /// </summary>
    public async Task KeepThisSessionAsync(Account account, ClaimsPrincipal current)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(current);
        var carried = new[] { SessionClaims.AuthTime, SessionClaims.Language, SessionClaims.Remembered, SessionClaims.SessionId }
            .Select(current.FindFirst).OfType<Claim>().Select(c => new Claim(c.Type, c.Value)).ToList();
        var remembered = current.FindFirstValue(SessionClaims.Remembered) == "1";
        var now = clock.GetUtcNow();
        var properties = new AuthenticationProperties
        {
            IsPersistent = remembered,
            IssuedUtc = now,
            ExpiresUtc = now + (remembered ? options.Value.RememberMeLifetime : options.Value.CustomerIdleTimeout),
            AllowRefresh = true,
        };
        await signIn.SignInWithClaimsAsync(account, properties, carried);
    }

    /// <summary>The session the request comes from, named by its cookie.</summary>
    public static Guid? CurrentSessionId(ClaimsPrincipal user) =>
        Guid.TryParseExact(user?.FindFirstValue(SessionClaims.SessionId), "N", out var id) ? id : null;
}

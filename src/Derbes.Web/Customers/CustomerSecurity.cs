using System.Security.Claims;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Data;
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

/// <summary>
/// What the cabinet's security page needs beyond a single page: the current password asked again before a
/// change (SECURITY-CHECKS 16), counted towards the lockout exactly like a wrong password at sign-in (so a
/// stolen session cannot be used to guess the password), ending the customer's other sessions, and keeping
/// the session that made a change signed in when the change gave the account a new security stamp.
/// </summary>
public sealed class CustomerSecurity(
    DerbesDb db,
    Argon2PasswordHasher hasher,
    SignInManager<Account> signIn,
    AuditTrail audit,
    IOptions<AccountOptions> options,
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
        if (account.LockoutEnd is { } lockedUntil && lockedUntil > now)
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
        account.AccessFailedCount++;
        if (account.AccessFailedCount >= options.Value.MaxFailedSignIns)
        {
            account.LockoutCount++;
            var factor = Math.Pow(2, Math.Min(account.LockoutCount - 1, 16));
            var duration = TimeSpan.FromTicks((long)Math.Min(options.Value.LockoutDuration.Ticks * factor, options.Value.MaxLockoutDuration.Ticks));
            account.LockoutEnd = clock.GetUtcNow() + duration;
            account.AccessFailedCount = 0;
            outcome = "locked-out";
            audit.Record("account.locked", account.Id, duration.ToString());
        }
        audit.Record(failedAction, account.Id, outcome);
    }

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

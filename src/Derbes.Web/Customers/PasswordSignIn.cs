using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

/// <summary>Where a sign-in came from; the audit trail tells them apart, the rules do not.</summary>
public enum SignInChannel
{
    /// <summary>The sign-in page.</summary>
    Web,
    /// <summary>The mobile app's token endpoint (/api/v1/auth/token).</summary>
    Api,
}

public enum PasswordCheckOutcome
{
    /// <summary>Wrong password, unknown account or locked account: one answer for all three (SECURITY-CHECKS 6).</summary>
    Failed,
    /// <summary>The password is right, but staff blocked the account (Art. 24).</summary>
    Blocked,
    /// <summary>The password is right, but the account is closing (processing consent withdrawn).</summary>
    Closing,
    /// <summary>The password is right, but the email is not confirmed yet; a new link was sent if the last is old.</summary>
    Unconfirmed,
    /// <summary>The password is right and the account may sign in: the caller goes on (second factor, session) and saves.</summary>
    PasswordRight,
}

/// <summary>The result of the password step.</summary>
/// <param name="Outcome">What the caller answers.</param>
/// <param name="Account">The account, tracked, for every outcome but <see cref="PasswordCheckOutcome.Failed"/>.</param>
public sealed record PasswordCheck(PasswordCheckOutcome Outcome, Account? Account);

/// <summary>
/// The password step of every sign-in, the web page's and the app's alike, so the two can never drift apart:
/// each attempt costs one Argon2id verification (a dummy one for unknown and locked accounts, SECURITY-CHECKS 7),
/// failures are counted on the account in the database (so the lockout holds across instances and across web and
/// app: five failures anywhere lock it), each lock in a row lasts twice the one before, weaker hashes are upgraded,
/// and blocked, closing and unconfirmed accounts are refused. Every refusal is audited here, with the channel.
/// </summary>
public sealed class PasswordSignIn(
    DerbesDb db,
    AccountDirectory directory,
    Argon2PasswordHasher hasher,
    AccountTokens tokens,
    AccountMessages messages,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider clock)
{
    private static readonly PasswordCheck Failure = new(PasswordCheckOutcome.Failed, null);

    /// <summary>
    /// Checks <paramref name="password"/> for <paramref name="login"/> (email, confirmed phone or customer number).
    /// Refusals are saved here; on <see cref="PasswordCheckOutcome.PasswordRight"/> the changes to the account (the
    /// failure count cleared, a rehash) wait for the caller's SaveChanges, together with its session.
    /// </summary>
    public async Task<PasswordCheck> CheckAsync(string login, string password, SignInChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(password);
        var now = clock.GetUtcNow();
        if (Encoding.UTF8.GetByteCount(password) > options.Value.MaxPasswordBytes)
        {
            // No account has such a password (registration refuses it), and it is never hashed.
            return Failure;
        }

        var account = await directory.FindByLoginAsync(login.Trim(), cancellationToken);
        if (account is null)
        {
            await hasher.VerifyDummyAsync(password);
            audit.Record("signin.failed", "unknown", Outcome("unknown-account", channel));
            await db.SaveChangesAsync(cancellationToken);
            return Failure;
        }
        if (Lockout.IsLocked(account, now))
        {
            await hasher.VerifyDummyAsync(password);
            audit.Record("signin.failed", account.Id, Outcome("locked", channel));
            await db.SaveChangesAsync(cancellationToken);
            return Failure;
        }

        var result = account.PasswordHash is null
            ? PasswordVerificationResult.Failed
            : await hasher.VerifyAsync(account.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            CountFailure(account, "wrong-password", channel);
            await db.SaveChangesAsync(cancellationToken);
            return Failure;
        }

        // The password is right: from here on, telling the person about their own account reveals nothing.
        // While a second factor is still owed the failure count runs on, so guesses of the code made with the
        // password (each app request carries both) add up to a lockout; the code's check clears it.
        if (!account.TwoFactorEnabled)
        {
            account.AccessFailedCount = 0;
        }
        account.LockoutEnd = null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = await hasher.HashAsync(password);
            audit.Record("password.rehashed", account.Id);
        }
        if (account.Status == AccountStatus.Blocked)
        {
            audit.Record("signin.failed", account.Id, Outcome("blocked", channel));
            await db.SaveChangesAsync(cancellationToken);
            return new PasswordCheck(PasswordCheckOutcome.Blocked, account);
        }
        if (account.Status == AccountStatus.Closing)
        {
            audit.Record("signin.failed", account.Id, Outcome("closing", channel));
            await db.SaveChangesAsync(cancellationToken);
            return new PasswordCheck(PasswordCheckOutcome.Closing, account);
        }
        if (!account.EmailConfirmed)
        {
            var last = await tokens.LastIssuedAsync(account.Id, TokenPurpose.ConfirmEmail, cancellationToken);
            if (last is null || now - last > TimeSpan.FromMinutes(5))
            {
                var link = await tokens.IssueLinkAsync(account, TokenPurpose.ConfirmEmail, options.Value.EmailConfirmationLifetime, cancellationToken);
                messages.ConfirmEmail(account, directory.Open(account), link);
            }
            audit.Record("signin.failed", account.Id, Outcome("unconfirmed", channel));
            await db.SaveChangesAsync(cancellationToken);
            return new PasswordCheck(PasswordCheckOutcome.Unconfirmed, account);
        }
        return new PasswordCheck(PasswordCheckOutcome.PasswordRight, account);
    }

    /// <summary>
    /// Counts one failed attempt (a wrong password, or a wrong second-factor code) and locks the account at the
    /// limit: each lock in a row lasts twice as long as the one before, up to <see cref="AccountOptions.MaxLockoutDuration"/>.
    /// The entries are saved with the caller's SaveChanges.
    /// </summary>
    public void CountFailure(Account account, string reason, SignInChannel channel)
    {
        ArgumentNullException.ThrowIfNull(account);
        var outcome = reason;
        if (Lockout.CountFailure(account, options.Value, clock.GetUtcNow()) is { } duration)
        {
            outcome = "locked-out";
            audit.Record("account.locked", account.Id, Outcome(duration.ToString(), channel));
        }
        audit.Record("signin.failed", account.Id, Outcome(outcome, channel));
    }

    /// <summary>An audit outcome marked with its channel: the web's as it always was, the app's with " (api)" after it.</summary>
    public static string Outcome(string outcome, SignInChannel channel) =>
        channel == SignInChannel.Web ? outcome : outcome + " (api)";
}

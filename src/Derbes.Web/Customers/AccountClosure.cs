using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

public enum ClosureStart
{
    Started,
    /// <summary>The account was already closing (a second click, a second tab, or a letter on the same day).</summary>
    AlreadyClosing,
    /// <summary>The password given was wrong: nothing changed (it counts towards the lockout).</summary>
    WrongPassword,
    /// <summary>The account is locked after too many wrong secrets: no password was checked, nothing changed.</summary>
    Locked,
}

/// <summary>
/// Closing an account (policy 5.6, Art. 8 p.7 and Art. 24): the moment consent to processing is withdrawn, from the
/// cabinet, by a letter or by declining a new edition, the account stops (no sign-in, no recovery, no advertising, no
/// transfers) and every session ends. After the grace period <see cref="AccountDestruction"/> destroys the data; until
/// then, signing in again and giving consent anew undoes the closure.
/// </summary>
public sealed class AccountClosure(
    DerbesDb db,
    UserManager<Account> users,
    AuditTrail audit,
    ConsentLedger ledger,
    AccountDirectory directory,
    AccountMessages messages,
    Argon2PasswordHasher hasher,
    IStringLocalizer<SharedResource> l,
    IOptionsMonitor<AccountOptions> options,
    TimeProvider clock)
{
    /// <summary>The day (Asia/Almaty) from which the account's data is destroyed.</summary>
    public DateOnly DestructionDay(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var since = account.ClosingSince ?? clock.GetUtcNow();
        return DateOnly.FromDateTime((since + options.CurrentValue.ClosingGracePeriod).ToAlmaty().DateTime);
    }

    /// <summary>
    /// Marks the account closing, ends its sessions, audits it, tells the customer when their data will be destroyed
    /// and how to undo it, and saves the caller's unit of work (with any consent withdrawal the caller recorded) with a
    /// new security stamp. When two closures race, only one is saved; the other finds the account closing.
    /// </summary>
    public async Task<ClosureStart> StartAsync(Account account, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (account.Status == AccountStatus.Closing)
        {
            return ClosureStart.AlreadyClosing;
        }
        var now = clock.GetUtcNow();
        account.Status = AccountStatus.Closing;
        account.ClosingSince = now;
        foreach (var session in await db.Sessions.Where(s => s.AccountId == account.Id && s.EndedAt == null).ToListAsync(cancellationToken))
        {
            session.End(now);
        }
        audit.Record("customer.closing", account.Id, outcome: reason);
        messages.ClosingStarted(account, directory.Open(account), DestructionDay(account), account.RetentionHold);
        try
        {
            // Saves, and a new stamp refuses every cookie the customer holds, on every instance. Identity's
            // concurrency stamp makes the second of two simultaneous closures fail here, with nothing of it saved.
            var result = await users.UpdateSecurityStampAsync(account);
            if (result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure)))
            {
                db.ChangeTracker.Clear();
                return ClosureStart.AlreadyClosing;
            }
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("The closing account could not be saved: " + string.Join(", ", result.Errors.Select(e => e.Code)));
            }
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return ClosureStart.AlreadyClosing;
        }
        return ClosureStart.Started;
    }

    /// <summary>
    /// The customer closes their own account in the cabinet: the withdrawal of consent to processing becomes a ledger
    /// record with the words of the current edition, and the closure starts.
    /// </summary>
    public async Task<ClosureStart> CloseByCustomerAsync(Account account, ConsentChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (account.Status == AccountStatus.Closing)
        {
            return ClosureStart.AlreadyClosing;
        }
        var edition = await PolicyEdition.InForceAsync(db, cancellationToken);
        var language = account.PreferredLanguage;
        ledger.Record(account.Id, ConsentPurpose.Processing, false, edition, language, ConsentWording.Text(l, ConsentPurpose.Processing, edition, language), channel: channel);
        return await StartAsync(account, "processing-consent-withdrawn:cabinet", cancellationToken);
    }

    /// <summary>
    /// The customer closes their account after giving the password again (the cabinet's page and the app). A wrong
    /// password counts like one at sign-in (five lock the account) and is audited; while locked, none is checked.
    /// </summary>
    public async Task<ClosureStart> CloseWithPasswordAsync(Account account, string? password, ConsentChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (account.Status == AccountStatus.Closing)
        {
            return ClosureStart.AlreadyClosing;
        }
        var limits = options.CurrentValue;
        var now = clock.GetUtcNow();
        if (Lockout.IsLocked(account, now))
        {
            await hasher.VerifyDummyAsync(password ?? "");
            audit.Record("customer.close-refused", account.Id, "locked");
            await db.SaveChangesAsync(cancellationToken);
            return ClosureStart.Locked;
        }
        var right = account.PasswordHash is not null
            && !string.IsNullOrEmpty(password)
            && System.Text.Encoding.UTF8.GetByteCount(password) <= limits.MaxPasswordBytes
            && await hasher.VerifyAsync(account.PasswordHash, password) != PasswordVerificationResult.Failed;
        if (!right)
        {
            var locked = Lockout.CountFailure(account, limits, now);
            if (locked is { } duration)
            {
                audit.Record("account.locked", account.Id, duration.ToString());
            }
            audit.Record("customer.close-refused", account.Id, locked is null ? "wrong-password" : "locked-out");
            await db.SaveChangesAsync(cancellationToken);
            return locked is null ? ClosureStart.WrongPassword : ClosureStart.Locked;
        }
        account.AccessFailedCount = 0;
        return await CloseByCustomerAsync(account, channel, cancellationToken);
    }

    /// <summary>
    /// Undoes a closure within the grace period: the customer signed in again and gave consent to processing anew (a
    /// ledger record of the words shown, in <paramref name="language"/>). Saves. False when the account is not closing
    /// any more (destroyed meanwhile, or already reopened).
    /// </summary>
    public async Task<bool> CancelAsync(Account account, string language, int edition, string wordingShown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (account.Status != AccountStatus.Closing)
        {
            return false;
        }
        account.Status = account.EmailConfirmed ? AccountStatus.Active : AccountStatus.Unconfirmed;
        account.ClosingSince = null;
        // A new stamp, so that a destruction that read the account before this undo fails to save over it.
        account.ConcurrencyStamp = Guid.NewGuid().ToString();
        ledger.Record(account.Id, ConsentPurpose.Processing, true, edition, language, wordingShown);
        audit.Record("customer.closing-cancelled", account.Id, actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
        messages.ClosingCancelled(account, directory.Open(account));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The destruction job took the account in the same moment: it is gone, and so is the undo.
            db.ChangeTracker.Clear();
            return false;
        }
        return true;
    }
}

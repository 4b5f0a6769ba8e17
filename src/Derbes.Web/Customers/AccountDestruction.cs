using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Disclosures;
using Derbes.Web.Documents;
using Derbes.Web.Messaging;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

/// <summary>
/// Destroys closed accounts once their grace period has ended (Art. 18: destruction means it cannot be restored).
/// One transaction per customer removes every row that is theirs, wipes the account down to a depersonalised stub and
/// destroys their data key, so whatever sealed copies remain anywhere (old archive copies, a file not yet deleted)
/// can no longer be opened; the document files are queued in the same transaction and deleted after it. A crash
/// before the commit leaves the customer untouched and due; a crash after it leaves only queued files, which the next
/// run deletes. A customer under a retention hold (a law requires keeping their data) is blocked instead, with the reason.
/// <para>
/// The same transaction destroys accounts never confirmed within <c>Retention:UnconfirmedAccounts</c> (issue 9): the
/// person gave their data and consent but never proved the email theirs, so nothing serves a purpose any more. They
/// keep the same stub as a closed account, for the same reasons: the consent they gave at registration stays in the
/// chained ledger and the audit trail names their id, so the stub is what those rows point to, and statistics of
/// registrations and confirmation rates would otherwise change their past. The stub names nobody (no name, email,
/// phone or customer number; the key is destroyed), and the email is free to register again. An unconfirmed account
/// under a retention hold, or blocked, is left as it is. Scheduled with the other categories by
/// <see cref="Retention.RetentionRun"/>.
/// </para>
/// </summary>
public sealed partial class AccountDestruction(
    IServiceScopeFactory scopes,
    IOptionsMonitor<AccountOptions> options,
    IOptionsMonitor<Retention.RetentionOptions> unconfirmed,
    TimeProvider clock,
    ILogger<AccountDestruction> logger) : RetentionJob(clock)
{
    /// <summary>
    /// What stays of a destroyed customer, and why: each is kept by law and names the customer only by the account's
    /// random id, which after destruction leads to nothing. Every other table with the customer's id is emptied of
    /// their rows (a test holds the model to this list, so a new table cannot be forgotten).
    /// </summary>
    public static readonly IReadOnlyDictionary<Type, string> Kept = new Dictionary<Type, string>
    {
        [typeof(Account)] = "the depersonalised stub: registered, confirmed and closed when, in which language",
        [typeof(DataKey)] = "the key row stays with its key destroyed: the proof that the data cannot be opened",
        [typeof(ConsentRecord)] = "the consent ledger (Art. 8, 24): proof of what was agreed and withdrawn, hash-chained",
        [typeof(AuditEntry)] = "the audit trail (Art. 22, policy 4.1): who did what, hash-chained",
        [typeof(DisclosureSubject)] = "the register of disclosures (Art. 16, policy 3.4–3.5) must show every transfer made",
        [typeof(CustomerRequest)] = "the register of requests and complaints keeps each one's kind, dates and status, the proof that statutory deadlines were met (Art. 24); its text, answer, files and the texts of its history are destroyed",
    };


    /// <summary>What one destruction call did.</summary>
    public enum Result
    {
        /// <summary>Not (or no longer) due: confirmed or reopened meanwhile, destroyed by another instance, or held.</summary>
        NotDue,
        Destroyed,
        /// <summary>A closing account under a retention hold: blocked instead, the customer told why.</summary>
        Blocked,
    }

    /// <summary>Why an account is destroyed: the end of its closure's grace period, or never having been confirmed.</summary>
    public enum Reason
    {
        Closed,
        Unconfirmed,
    }

    /// <summary>Deletes queued files, then destroys the accounts whose grace period has ended; returns how much it did.</summary>
    public override async Task<int> PurgeDueAsync(CancellationToken cancellationToken)
    {
        var done = await DeleteQueuedFilesAsync(cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var dueBefore = Clock.GetUtcNow() - options.CurrentValue.ClosingGracePeriod;
        var due = await db.Users.AsNoTracking()
            .Where(a => a.Status == AccountStatus.Closing && a.ClosingSince != null && a.ClosingSince <= dueBefore)
            .OrderBy(a => a.ClosingSince)
            .Select(a => a.Id)
            .Take(20)
            .ToListAsync(cancellationToken);
        foreach (var id in due)
        {
            if (await DestroyAsync(id, cancellationToken))
            {
                done++;
            }
        }
        return done + await DeleteQueuedFilesAsync(cancellationToken);
    }

    /// <summary>
    /// Destroys one customer if their closure is still due (they may have signed in and undone it, or another instance
    /// may have done it first); true when this call did it.
    /// </summary>
    public async Task<bool> DestroyAsync(Guid accountId, CancellationToken cancellationToken) =>
        await DestroyAsync(accountId, Reason.Closed, cancellationToken) != Result.NotDue;

    /// <summary>
    /// Destroys one customer for <paramref name="reason"/> if it is still due when the transaction reads the account
    /// (a customer who confirms or reopens meanwhile is left untouched; so is a second instance's second try).
    /// </summary>
    public async Task<Result> DestroyAsync(Guid accountId, Reason reason, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        try
        {
            return await db.WithChainLockAsync(ct => DestroyInTransactionAsync(scope.ServiceProvider, db, audit, accountId, reason, ct), cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The customer undid the closure (or confirmed their email) in the same moment: their account stays, untouched.
            LogRaced(logger, accountId);
            return Result.NotDue;
        }
    }

    /// <summary>When an unconfirmed account registered at or before this is due, given the configured period.</summary>
    public static DateTimeOffset UnconfirmedDueBefore(DateTimeOffset now, TimeSpan period) => now - period;

    private bool IsDue(Account account, Reason reason, DateTimeOffset now) => reason switch
    {
        Reason.Closed => account.Status == AccountStatus.Closing && account.ClosingSince is not null
            && account.ClosingSince <= now - options.CurrentValue.ClosingGracePeriod,
        // Never confirmed, never held: a held or blocked one is kept as it is.
        _ => account.Kind == AccountKind.Customer && account.Status == AccountStatus.Unconfirmed && !account.EmailConfirmed
            && account.ConfirmedAt is null && account.RetentionHold is null
            && account.CreatedAt <= UnconfirmedDueBefore(now, unconfirmed.CurrentValue.UnconfirmedAccounts),
    };

    private async Task<Result> DestroyInTransactionAsync(IServiceProvider services, DerbesDb db, AuditTrail audit, Guid accountId, Reason reason, CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null || !IsDue(account, reason, now))
        {
            return Result.NotDue;
        }
        if (reason == Reason.Closed && account.RetentionHold is { Length: > 0 } hold)
        {
            // A law requires keeping the data: blocked (stored, not processed) instead of destroyed, and the customer told why.
            account.Status = AccountStatus.Blocked;
            account.ConcurrencyStamp = Guid.NewGuid().ToString();
            var messages = services.GetRequiredService<AccountMessages>();
            var directory = services.GetRequiredService<AccountDirectory>();
            messages.ClosingHeld(account, directory.Open(account), hold);
            audit.Record("customer.closing-held", account.Id, outcome: "retention-hold", actor: "system");
            await db.SaveChangesAsync(cancellationToken);
            return Result.Blocked;
        }

        // The files: queued for deletion in this transaction (only those not already purged by their retention).
        var files = await db.Documents.Where(d => d.AccountId == accountId && d.PurgedAt == null).Select(d => d.StorageName).ToListAsync(cancellationToken);
        db.StoreDeletions.AddRange(files.Select(f => new StoreDeletion { StorageName = f, QueuedAt = now }));
        var documents = await db.Documents.Where(d => d.AccountId == accountId).ExecuteDeleteAsync(cancellationToken);
        var requests = db.CustomerRequests.Where(r => r.AccountId == accountId);
        var attachments = db.RequestAttachments.Where(f => requests.Any(r => r.Id == f.RequestId));
        var attachmentFiles = await attachments.Select(f => f.StorageName).ToListAsync(cancellationToken);
        db.StoreDeletions.AddRange(attachmentFiles.Select(f => new StoreDeletion { StorageName = f, QueuedAt = now }));
        files.AddRange(attachmentFiles);
        await attachments.ExecuteDeleteAsync(cancellationToken);
        await requests.ExecuteUpdateAsync(s => s.SetProperty(r => r.SealedText, Array.Empty<byte>()).SetProperty(r => r.SealedAnswer, (byte[]?)null), cancellationToken);
        await db.RequestEvents.Where(e => requests.Any(r => r.Id == e.RequestId))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.SealedText, (byte[]?)null), cancellationToken);

        // Every other row that is theirs.
        await db.AccountTokens.Where(t => t.AccountId == accountId).ExecuteDeleteAsync(cancellationToken);
        await db.AppTokens.Where(t => db.Sessions.Any(s => s.Id == t.SessionId && s.AccountId == accountId)).ExecuteDeleteAsync(cancellationToken);
        var sessions = await db.Sessions.Where(s => s.AccountId == accountId).ExecuteDeleteAsync(cancellationToken);
        await db.Outbox.Where(m => m.AccountId == accountId).ExecuteDeleteAsync(cancellationToken);
        await db.UserTokens.Where(t => t.UserId == accountId).ExecuteDeleteAsync(cancellationToken);
        await db.UserLogins.Where(t => t.UserId == accountId).ExecuteDeleteAsync(cancellationToken);
        await db.UserClaims.Where(t => t.UserId == accountId).ExecuteDeleteAsync(cancellationToken);
        await db.UserRoles.Where(t => t.UserId == accountId).ExecuteDeleteAsync(cancellationToken);
        // The breach register keeps its incidents and how many each reached (Breach.AffectedCount); the link to them goes.
        await db.BreachCustomers.Where(c => c.AccountId == accountId).ExecuteDeleteAsync(cancellationToken);

        // The key: whatever was sealed with it, here or in any copy, can no longer be opened.
        await db.DataKeys.Where(k => k.AccountId == accountId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.WrappedKey, (byte[]?)null).SetProperty(k => k.DestroyedAt, now), cancellationToken);

        // The stub: nothing left that leads to the person.
        account.SealedFirstName = [];
        account.SealedLastName = [];
        account.SealedEmail = [];
        account.SealedPhone = null;
        account.EmailIndex = "destroyed:" + accountId.ToString("N");
        account.PhoneIndex = null;
        account.UserName = null;
        account.NormalizedUserName = null;
        account.PasswordHash = null;
        account.SecurityStamp = Guid.NewGuid().ToString("N");
        account.ConcurrencyStamp = Guid.NewGuid().ToString();
        account.TwoFactorEnabled = false;
        account.PhoneNumberConfirmed = false;
        account.LockoutEnd = null;
        account.AccessFailedCount = 0;
        account.LockoutCount = 0;
        account.Status = AccountStatus.Destroyed;
        account.DestroyedAt = now;
        var why = reason == Reason.Unconfirmed ? "unconfirmed " : "";
        audit.Record("customer.destroyed", account.Id, outcome: $"{why}documents:{documents} files:{files.Count} sessions:{sessions}", actor: "system");
        await db.SaveChangesAsync(cancellationToken);
        LogDestroyed(logger, accountId, documents);
        return Result.Destroyed;
    }

    /// <summary>
    /// The accounts due for <paramref name="reason"/> at <paramref name="now"/>, as <see cref="DestroyAsync(Guid, Reason, CancellationToken)"/>
    /// re-checks each one: closing past the grace period (those under a hold are blocked instead), or unconfirmed past
    /// the period and not held.
    /// </summary>
    public IQueryable<Account> Due(DerbesDb db, Reason reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (reason == Reason.Closed)
        {
            var dueBefore = now - options.CurrentValue.ClosingGracePeriod;
            return db.Users.Where(a => a.Status == AccountStatus.Closing && a.ClosingSince != null && a.ClosingSince <= dueBefore);
        }
        var registeredBefore = UnconfirmedDueBefore(now, unconfirmed.CurrentValue.UnconfirmedAccounts);
        return db.Users.Where(a => a.Kind == AccountKind.Customer && a.Status == AccountStatus.Unconfirmed && !a.EmailConfirmed
            && a.ConfirmedAt == null && a.RetentionHold == null && a.CreatedAt <= registeredBefore);
    }

    /// <summary>
    /// The accounts past their time for <paramref name="reason"/> that are kept: blocked, or under a retention hold
    /// (a closed one under a hold is blocked when it falls due, and stays blocked until the hold is lifted).
    /// </summary>
    public IQueryable<Account> Held(DerbesDb db, Reason reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (reason == Reason.Closed)
        {
            var dueBefore = now - options.CurrentValue.ClosingGracePeriod;
            return db.Users.Where(a => a.Kind == AccountKind.Customer && a.ClosingSince != null && a.ClosingSince <= dueBefore
                && (a.Status == AccountStatus.Blocked || (a.Status == AccountStatus.Closing && a.RetentionHold != null)));
        }
        var registeredBefore = UnconfirmedDueBefore(now, unconfirmed.CurrentValue.UnconfirmedAccounts);
        return db.Users.Where(a => a.Kind == AccountKind.Customer && a.ConfirmedAt == null && a.ClosingSince == null && a.CreatedAt <= registeredBefore
            && (a.Status == AccountStatus.Blocked || (a.Status == AccountStatus.Unconfirmed && a.RetentionHold != null)));
    }

    /// <summary>
    /// Destroys every account due for <paramref name="reason"/>, each in its own transaction, then deletes the queued
    /// files: a run stopped between two accounts leaves each either destroyed or untouched and due, for the next run.
    /// <paramref name="afterEach"/> is called after each account's destruction has committed.
    /// </summary>
    public async Task<(int Destroyed, int Blocked)> DestroyAllDueAsync(Reason reason, Func<Task>? afterEach, CancellationToken cancellationToken)
    {
        var destroyed = 0;
        var blocked = 0;
        var seen = new HashSet<Guid>();
        while (true)
        {
            List<Guid> due;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
                var candidates = await Due(db, reason, Clock.GetUtcNow()).AsNoTracking()
                    .OrderBy(a => a.CreatedAt).Select(a => a.Id).Take(20 + seen.Count).ToListAsync(cancellationToken);
                due = [.. candidates.Where(id => !seen.Contains(id)).Take(20)];
            }
            if (due.Count == 0)
            {
                break;
            }
            foreach (var id in due)
            {
                seen.Add(id);
                switch (await DestroyAsync(id, reason, cancellationToken))
                {
                    case Result.Destroyed:
                        destroyed++;
                        if (afterEach is not null)
                        {
                            await afterEach();
                        }
                        break;
                    case Result.Blocked:
                        blocked++;
                        break;
                }
            }
        }
        await DeleteQueuedFilesAsync(cancellationToken);
        return (destroyed, blocked);
    }

    /// <summary>Deletes the queued files (of destroyed customers, or past their retention); a file the store cannot delete now stays queued for the next run.</summary>
    public async Task<int> DeleteQueuedFilesAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await StoreDeletion.DrainAsync(scope.ServiceProvider.GetRequiredService<DerbesDb>(), scope.ServiceProvider.GetRequiredService<IDocumentStore>(), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed account {AccountId} destroyed ({Documents} documents)")]
    private static partial void LogDestroyed(ILogger logger, Guid accountId, int documents);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed account {AccountId} was reopened while being destroyed; left as it is")]
    private static partial void LogRaced(ILogger logger, Guid accountId);
}

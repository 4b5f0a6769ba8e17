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
/// </summary>
public sealed partial class AccountDestruction(
    IServiceScopeFactory scopes,
    IOptionsMonitor<AccountOptions> options,
    TimeProvider clock,
    ILogger<AccountDestruction> logger) : RetentionJob(clock, logger)
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

    protected override TimeSpan Interval => options.CurrentValue.DestructionInterval;

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
    public async Task<bool> DestroyAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        try
        {
            return await db.WithChainLockAsync(ct => DestroyInTransactionAsync(scope.ServiceProvider, db, audit, accountId, ct), cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The customer undid the closure in the same moment: their account stays, untouched.
            LogRaced(logger, accountId);
            return false;
        }
    }

    private async Task<bool> DestroyInTransactionAsync(IServiceProvider services, DerbesDb db, AuditTrail audit, Guid accountId, CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null || account.Status != AccountStatus.Closing || account.ClosingSince is null
            || account.ClosingSince > now - options.CurrentValue.ClosingGracePeriod)
        {
            return false;
        }
        if (account.RetentionHold is { Length: > 0 } hold)
        {
            // A law requires keeping the data: blocked (stored, not processed) instead of destroyed, and the customer told why.
            account.Status = AccountStatus.Blocked;
            account.ConcurrencyStamp = Guid.NewGuid().ToString();
            var messages = services.GetRequiredService<AccountMessages>();
            var directory = services.GetRequiredService<AccountDirectory>();
            messages.ClosingHeld(account, directory.Open(account), hold);
            audit.Record("customer.closing-held", account.Id, outcome: "retention-hold", actor: "system");
            await db.SaveChangesAsync(cancellationToken);
            return true;
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
        audit.Record("customer.destroyed", account.Id, outcome: $"documents:{documents} files:{files.Count} sessions:{sessions}", actor: "system");
        await db.SaveChangesAsync(cancellationToken);
        LogDestroyed(logger, accountId, documents);
        return true;
    }

    /// <summary>Deletes the queued files (already unreadable); a file the store cannot delete now stays queued for the next run.</summary>
    public async Task<int> DeleteQueuedFilesAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();
        var deleted = 0;
        while (true)
        {
            var batch = await db.StoreDeletions.AsNoTracking().OrderBy(d => d.Id).Take(100).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return deleted;
            }
            foreach (var file in batch)
            {
                // Deleting a file that is already gone succeeds: two instances, or a run after a crash, may meet the same one.
                await store.DeleteAsync(file.StorageName, cancellationToken);
                await db.StoreDeletions.Where(d => d.Id == file.Id).ExecuteDeleteAsync(cancellationToken);
                deleted++;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed account {AccountId} destroyed ({Documents} documents)")]
    private static partial void LogDestroyed(ILogger logger, Guid accountId, int documents);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed account {AccountId} was reopened while being destroyed; left as it is")]
    private static partial void LogRaced(ILogger logger, Guid accountId);
}

using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

/// <summary>
/// Destroys reviewed documents' files once their retention has passed (Art. 7 p.9: kept no longer than the purpose
/// needs): a verified one <see cref="DocumentOptions.VerifiedRetention"/> after verification, a rejected one
/// <see cref="DocumentOptions.RejectedRetention"/> after rejection. The record stays, with its result (verified, or
/// rejected and why) and the time of destruction; the file, its original name and the reviewer's note go. A blocked
/// customer's documents, or those of a customer under a retention hold, are kept as they are.
/// <para>
/// Each document is one transaction under the chain lock: it is marked destroyed (the claim: a second run or instance
/// finds it done), its file is queued in <see cref="StoreDeletion"/> and the audit entry written; the file is deleted
/// after the commit. A run stopped before the commit leaves the document untouched and due, one stopped after it
/// leaves a queued file that the next run deletes. The retentions are read at each run: they can be changed at
/// /admin/settings. Scheduled with the other categories by <see cref="Retention.RetentionRun"/>.
/// </para>
/// </summary>
public sealed class DocumentRetention(
    IServiceScopeFactory scopes,
    IOptionsMonitor<DocumentOptions> options,
    TimeProvider clock) : RetentionJob(clock), IDisposable
{
    // One run at a time in this instance: a run started by hand waits for the scheduled one to finish its files,
    // so when it returns, every file it could see as due is gone (other instances are kept apart by the claims).
    private readonly SemaphoreSlim _run = new(1, 1);

    /// <summary>Destroys one batch of verified and rejected files past their time; returns how many.</summary>
    public override async Task<int> PurgeDueAsync(CancellationToken cancellationToken) =>
        await PurgeDueAsync(DocumentStatus.Verified, null, cancellationToken) + await PurgeDueAsync(DocumentStatus.Rejected, null, cancellationToken);

    /// <summary>
    /// Destroys one batch of files of <paramref name="status"/> past their time and returns how many;
    /// <paramref name="afterEach"/> is called after each document's transaction has committed.
    /// </summary>
    public async Task<int> PurgeDueAsync(DocumentStatus status, Func<Task>? afterEach, CancellationToken cancellationToken)
    {
        await _run.WaitAsync(cancellationToken);
        try
        {
            return await PurgeBatchAsync(status, afterEach, cancellationToken);
        }
        finally
        {
            _run.Release();
        }
    }

    public void Dispose() => _run.Dispose();

    /// <summary>How long a document of <paramref name="status"/> keeps its file after review.</summary>
    public TimeSpan RetentionOf(DocumentStatus status) =>
        status == DocumentStatus.Verified ? options.CurrentValue.VerifiedRetention : options.CurrentValue.RejectedRetention;

    /// <summary>Documents of <paramref name="status"/> whose file is past its time at <paramref name="now"/> and not kept for their customer.</summary>
    public IQueryable<CustomerDocument> Due(DerbesDb db, DocumentStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Past(db, status, now).Where(d => !db.Users.Any(a => a.Id == d.AccountId && (a.Status == AccountStatus.Blocked || a.RetentionHold != null)));
    }

    /// <summary>Documents of <paramref name="status"/> past their time but kept: their customer is blocked or under a retention hold.</summary>
    public IQueryable<CustomerDocument> Held(DerbesDb db, DocumentStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Past(db, status, now).Where(d => db.Users.Any(a => a.Id == d.AccountId && (a.Status == AccountStatus.Blocked || a.RetentionHold != null)));
    }

    private IQueryable<CustomerDocument> Past(DerbesDb db, DocumentStatus status, DateTimeOffset now)
    {
        var before = now - RetentionOf(status);
        return db.Documents.Where(d => d.Status == status && d.PurgedAt == null && d.ReviewedAt != null && d.ReviewedAt <= before);
    }

    private async Task<int> PurgeBatchAsync(DocumentStatus status, Func<Task>? afterEach, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        // Files queued by a run that stopped after its commit go first.
        await StoreDeletion.DrainAsync(db, store, cancellationToken);
        var due = await Due(db, status, Clock.GetUtcNow()).AsNoTracking()
            .OrderBy(d => d.ReviewedAt)
            .Select(d => new { d.Id, d.AccountId, d.StorageName })
            .Take(100)
            .ToListAsync(cancellationToken);
        var purged = 0;
        foreach (var document in due)
        {
            var done = await db.WithChainLockAsync(async ct =>
            {
                var now = Clock.GetUtcNow();
                // The claim, re-checked by the database: two runs (or two instances) never destroy and record the same file twice;
                // a customer blocked or held since the list was read is left alone.
                var claimed = await db.Documents
                    .Where(d => d.Id == document.Id && d.PurgedAt == null
                        && !db.Users.Any(a => a.Id == d.AccountId && (a.Status == AccountStatus.Blocked || a.RetentionHold != null)))
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.PurgedAt, now)
                        .SetProperty(d => d.SealedOriginalName, Array.Empty<byte>())
                        .SetProperty(d => d.SealedNote, (byte[]?)null), ct);
                if (claimed == 0)
                {
                    return false;
                }
                db.StoreDeletions.Add(new StoreDeletion { StorageName = document.StorageName, QueuedAt = now });
                audit.Record("document.purged", document.AccountId,
                    outcome: (status == DocumentStatus.Rejected ? "rejected " : "") + "document:" + document.Id.ToString("N")[..12], actor: "system");
                await db.SaveChangesAsync(ct);
                return true;
            }, cancellationToken);
            db.ChangeTracker.Clear();
            if (!done)
            {
                continue;
            }
            purged++;
            if (afterEach is not null)
            {
                await afterEach();
            }
        }
        await StoreDeletion.DrainAsync(db, store, cancellationToken);
        return purged;
    }
}

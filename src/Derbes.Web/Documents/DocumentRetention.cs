using Derbes.Web.Audit;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

/// <summary>
/// Destroys verified documents' files once their retention has passed (Art. 7 p.9: kept no longer than the
/// purpose needs). The record stays, with its verification result and the time of destruction, and each
/// destruction is an audit entry. The retention is read at each run: it can be changed at /admin/settings.
/// </summary>
public sealed class DocumentRetention(
    IServiceScopeFactory scopes,
    IOptionsMonitor<DocumentOptions> options,
    TimeProvider clock,
    ILogger<DocumentRetention> logger) : RetentionJob(clock, logger)
{
    protected override TimeSpan Interval => options.CurrentValue.PurgeInterval;

    // One run at a time in this instance: a run started by hand waits for the scheduled one to finish its files,
    // so when it returns, every file it could see as due is gone (other instances are kept apart by the claims).
    private readonly SemaphoreSlim _run = new(1, 1);

    /// <summary>Destroys one batch of files past their time; returns how many.</summary>
    public override async Task<int> PurgeDueAsync(CancellationToken cancellationToken)
    {
        await _run.WaitAsync(cancellationToken);
        try
        {
            return await PurgeBatchAsync(cancellationToken);
        }
        finally
        {
            _run.Release();
        }
    }

    public override void Dispose()
    {
        _run.Dispose();
        base.Dispose();
    }

    private async Task<int> PurgeBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var store = scope.ServiceProvider.GetRequiredService<IDocumentStore>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        var now = Clock.GetUtcNow();
        var before = now - options.CurrentValue.VerifiedRetention;
        var due = await db.Documents.AsNoTracking()
            .Where(d => d.Status == DocumentStatus.Verified && d.PurgedAt == null && d.ReviewedAt != null && d.ReviewedAt <= before)
            .OrderBy(d => d.ReviewedAt)
            .Select(d => new { d.Id, d.AccountId, d.StorageName })
            .Take(100)
            .ToListAsync(cancellationToken);
        var purged = 0;
        foreach (var document in due)
        {
            // Claimed first, so two runs (or two instances) never destroy and record the same file twice.
            var claimed = await db.Documents
                .Where(d => d.Id == document.Id && d.PurgedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.PurgedAt, now).SetProperty(d => d.SealedOriginalName, Array.Empty<byte>()), cancellationToken);
            if (claimed == 0)
            {
                continue;
            }
            try
            {
                await store.DeleteAsync(document.StorageName, cancellationToken);
            }
            catch
            {
                // The file is still there: give the claim back so the next run tries again.
                await db.Documents.Where(d => d.Id == document.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.PurgedAt, (DateTimeOffset?)null), CancellationToken.None);
                throw;
            }
            audit.Record("document.purged", document.AccountId, outcome: "document:" + document.Id.ToString("N")[..12], actor: "system");
            await db.SaveChangesAsync(cancellationToken);
            purged++;
        }
        return purged;
    }

}

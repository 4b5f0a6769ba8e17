using System.Globalization;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Audit;

/// <summary>
/// Removes audit entries older than <see cref="AuditOptions.Retention"/> from the start of the trail, a batch at
/// a time, so the trail is kept no longer than its purpose needs (Art. 7 p.9) and still verifies: before a batch
/// goes, a signed <see cref="AuditCheckpoint"/> records where the chain stood, and the purge itself joins the chain
/// as an "audit.purged" entry by the system. Checkpoint, deletion and entry are one transaction under the chain
/// lock, so instances sharing a PostgreSQL database never purge at once or checkpoint the same entries twice.
/// Scheduled with the other categories by <see cref="Retention.RetentionRun"/>. The trail is one chain for everyone:
/// a blocked customer's entries go with it, in order (a gap for one customer would break what verifies the rest).
/// </summary>
public sealed partial class AuditRetention(
    IServiceScopeFactory scopes,
    IOptionsMonitor<AuditOptions> options,
    TimeProvider clock,
    ILogger<AuditRetention> logger) : RetentionJob(clock)
{

    /// <summary>Removes one batch of entries past their time behind a checkpoint; returns how many.</summary>
    public override async Task<int> PurgeDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var signer = scope.ServiceProvider.GetRequiredService<CheckpointSigner>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        return await db.WithChainLockAsync(async ct =>
        {
            // Read under the lock: what another instance purged a moment ago is gone, and its checkpoint is the latest.
            var now = Clock.GetUtcNow();
            var before = now - settings.Retention;
            var latest = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);
            var oldest = await db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).Take(settings.PurgeBatchSize).ToListAsync(ct);
            // Only a prefix of the chain can go: entries are in id order, and the first one young enough ends it.
            var due = oldest.TakeWhile(e => e.At < before).ToList();
            if (due.Count == 0)
            {
                return 0;
            }

            // Never sign over a broken stretch: the checkpoint would vouch for a chain that was tampered with, and
            // the deletion would destroy the evidence. It stays for verify-audit to name, and for people to look into.
            var previous = latest?.LastPurgedHash ?? HashChain.Genesis;
            foreach (var entry in due)
            {
                if (entry.Id <= (latest?.LastPurgedId ?? 0) || entry.PreviousHash != previous || entry.Hash != HashChain.Link(previous, entry.CanonicalContent()))
                {
                    LogBrokenChain(logger, entry.Id);
                    return 0;
                }
                previous = entry.Hash;
            }

            var checkpoint = new AuditCheckpoint
            {
                At = HashChain.StorablePrecision(now),
                FirstPurgedId = due[0].Id,
                LastPurgedId = due[^1].Id,
                FirstPurgedPreviousHash = due[0].PreviousHash,
                LastPurgedHash = due[^1].Hash,
                PurgedCount = due.Count,
                PurgedFrom = due.Min(e => e.At),
                PurgedTo = due.Max(e => e.At),
            };
            signer.Sign(checkpoint);
            db.AuditCheckpoints.Add(checkpoint);
            await db.SaveChangesAsync(ct);
            await db.AuditEntries.Where(e => e.Id >= checkpoint.FirstPurgedId && e.Id <= checkpoint.LastPurgedId).ExecuteDeleteAsync(ct);
            // After the deletion, so it links to the newest entry that remains (or to the checkpoint when none does).
            // Ids and counts only: nothing about whom the removed entries concerned.
            audit.Record("audit.purged", "checkpoint:" + checkpoint.Id.ToString(CultureInfo.InvariantCulture),
                outcome: "purged:" + due.Count.ToString(CultureInfo.InvariantCulture), actor: "system");
            await db.SaveChangesAsync(ct);
            LogPurged(logger, due.Count, checkpoint.Id);
            return due.Count;
        }, cancellationToken);
    }


    [LoggerMessage(Level = LogLevel.Error, Message = "Audit retention refused to purge: the audit trail is broken at entry {EntryId}; run verify-audit")]
    private static partial void LogBrokenChain(ILogger logger, long entryId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit retention removed {Count} entries behind checkpoint {CheckpointId}")]
    private static partial void LogPurged(ILogger logger, int count, long checkpointId);
}

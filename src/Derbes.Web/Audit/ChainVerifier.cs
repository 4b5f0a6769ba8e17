using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Audit;

/// <summary>What a check of the audit trail and the consent ledger found.</summary>
public sealed record ChainReport(long AuditEntries, long? FirstBrokenAuditEntry, long ConsentRecords, long? FirstBrokenConsentRecord)
{
    /// <summary>The latest checkpoint, from which the remaining audit entries were checked; null when nothing was ever purged.</summary>
    public CheckpointSummary? Checkpoint { get; init; }

    /// <summary>The first checkpoint that does not hold, and why.</summary>
    public long? BrokenCheckpoint { get; init; }
    public CheckpointProblem? CheckpointProblem { get; init; }

    public bool Intact => FirstBrokenAuditEntry is null && FirstBrokenConsentRecord is null && BrokenCheckpoint is null;
}

/// <summary>The latest checkpoint, and what all checkpoints together account for.</summary>
public sealed record CheckpointSummary(long Id, DateTimeOffset At, string KeyId, long LastPurgedId, long Checkpoints, long PurgedEntries);

public enum CheckpointProblem
{
    /// <summary>The signature is not the named key's over what the checkpoint now says: edited or forged.</summary>
    Signature,

    /// <summary>Signed with a key the key file does not hold.</summary>
    UnknownKey,

    /// <summary>Does not start where the checkpoint before it ended: a checkpoint between them is missing.</summary>
    Gap,

    /// <summary>No entry follows the latest checkpoint, though a purge always writes one: entries were removed.</summary>
    NothingAfter,
}

/// <summary>
/// Recomputes both hash chains from the first record, in batches (a million entries never sit in memory at
/// once). An edited, deleted or inserted row breaks the chain at that row, and the report names it. Where the
/// audit trail's oldest entries were purged, its checkpoints are checked first (each signature, and each one
/// starting where the one before ended), and the remaining entries must go on from the latest checkpoint's last
/// purged hash. So a forged or edited checkpoint fails its signature, a removed one leaves a gap (or, the latest,
/// leaves the first entry pointing at a hash no checkpoint names), and a purged entry put back sits at or before
/// the checkpoint's last purged id.
/// </summary>
public static class ChainVerifier
{
    private const int Batch = 5_000;

    /// <summary>The consent ledger alone (it is never purged, so it is checked from its first record).</summary>
    public static Task<(long Count, long? FirstBroken)> VerifyConsentLedgerAsync(DerbesDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return VerifyAsync(db.ConsentRecords, c => c.Id, (HashChain.Genesis, 0L), cancellationToken);
    }

    public static async Task<ChainReport> VerifyAsync(DerbesDb db, CheckpointSigner signer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(signer);
        var checkpoints = await VerifyCheckpointsAsync(db, signer, cancellationToken);
        var start = checkpoints.Latest is { } latest ? (latest.LastPurgedHash, latest.LastPurgedId) : (HashChain.Genesis, 0L);
        var (audits, brokenAudit) = await VerifyAsync(db.AuditEntries, e => e.Id, start, cancellationToken);
        var (consents, brokenConsent) = await VerifyConsentLedgerAsync(db, cancellationToken);
        var broken = checkpoints.Broken;
        if (broken is null && checkpoints.Latest is { } last && audits == 0 && brokenAudit is null)
        {
            broken = (last.Id, CheckpointProblem.NothingAfter);
        }
        return new ChainReport(audits, brokenAudit, consents, brokenConsent)
        {
            Checkpoint = checkpoints.Latest is { } c
                ? new CheckpointSummary(c.Id, c.At, c.KeyId, c.LastPurgedId, checkpoints.Count, checkpoints.Purged)
                : null,
            BrokenCheckpoint = broken?.Id,
            CheckpointProblem = broken?.Problem,
        };
    }

    private sealed record CheckpointChain(AuditCheckpoint? Latest, long Count, long Purged, (long Id, CheckpointProblem Problem)? Broken);

    /// <summary>
    /// Checks every checkpoint in order and returns the latest (even when one is broken: the entries are still
    /// checked against it, so the report names both the checkpoint and any entry that does not follow on).
    /// </summary>
    private static async Task<CheckpointChain> VerifyCheckpointsAsync(DerbesDb db, CheckpointSigner signer, CancellationToken cancellationToken)
    {
        AuditCheckpoint? latest = null;
        (long, CheckpointProblem)? broken = null;
        long count = 0;
        long purged = 0;
        await foreach (var checkpoint in db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (broken is null)
            {
                var expected = latest?.LastPurgedHash ?? HashChain.Genesis;
                if (signer.PublicKeyHex(checkpoint.KeyId) is null)
                {
                    broken = (checkpoint.Id, CheckpointProblem.UnknownKey);
                }
                else if (!signer.Verify(checkpoint))
                {
                    broken = (checkpoint.Id, CheckpointProblem.Signature);
                }
                else if (checkpoint.FirstPurgedPreviousHash != expected || checkpoint.FirstPurgedId <= (latest?.LastPurgedId ?? 0))
                {
                    broken = (checkpoint.Id, CheckpointProblem.Gap);
                }
            }
            latest = checkpoint;
            count++;
            purged += checkpoint.PurgedCount;
        }
        return new CheckpointChain(latest, count, purged, broken);
    }

    private static async Task<(long Count, long? FirstBroken)> VerifyAsync<T>(DbSet<T> set, Func<T, long> id, (string Hash, long Id) start, CancellationToken cancellationToken)
        where T : class, IChainedRecord
    {
        var previous = start.Hash;
        long count = 0;
        long after = 0;
        while (true)
        {
            var batch = await set.AsNoTracking()
                .Where(r => EF.Property<long>(r, "Id") > after)
                .OrderBy(r => EF.Property<long>(r, "Id"))
                .Take(Batch)
                .ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return (count, null);
            }
            foreach (var record in batch)
            {
                // Nothing at or before the start may remain: those entries were purged behind the checkpoint.
                if (id(record) <= start.Id || record.PreviousHash != previous || record.Hash != HashChain.Link(previous, record.CanonicalContent()))
                {
                    return (count, id(record));
                }
                previous = record.Hash;
                count++;
            }
            after = id(batch[^1]);
        }
    }
}

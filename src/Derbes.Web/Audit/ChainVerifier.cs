using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Audit;

/// <summary>What a check of the audit trail and the consent ledger found.</summary>
public sealed record ChainReport(long AuditEntries, long? FirstBrokenAuditEntry, long ConsentRecords, long? FirstBrokenConsentRecord)
{
    public bool Intact => FirstBrokenAuditEntry is null && FirstBrokenConsentRecord is null;
}

/// <summary>
/// Recomputes both hash chains from the first record, in batches (a million entries never sit in memory at
/// once). An edited, deleted or inserted row breaks the chain at that row, and the report names it.
/// </summary>
public static class ChainVerifier
{
    private const int Batch = 5_000;

    public static async Task<ChainReport> VerifyAsync(DerbesDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var (audits, brokenAudit) = await VerifyAsync(db.AuditEntries, e => e.Id, cancellationToken);
        var (consents, brokenConsent) = await VerifyAsync(db.ConsentRecords, c => c.Id, cancellationToken);
        return new ChainReport(audits, brokenAudit, consents, brokenConsent);
    }

    private static async Task<(long Count, long? FirstBroken)> VerifyAsync<T>(DbSet<T> set, Func<T, long> id, CancellationToken cancellationToken)
        where T : class, IChainedRecord
    {
        var previous = HashChain.Genesis;
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
                if (record.PreviousHash != previous || record.Hash != HashChain.Link(previous, record.CanonicalContent()))
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

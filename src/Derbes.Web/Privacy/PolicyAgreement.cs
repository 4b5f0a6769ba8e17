using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Privacy;

/// <summary>What a customer owes the current edition of the policy before they go on using the cabinet.</summary>
public enum PolicyDue
{
    None,
    /// <summary>A new edition they have not read yet: they are informed and acknowledge it.</summary>
    Acknowledge,
    /// <summary>An edition since their last agreement changed purposes or recipients: they must agree again.</summary>
    Reconsent,
}

/// <summary>
/// The customer's standing with the published editions (5.4–5.6; Art. 7 p.6, 15 p.2), read from their processing
/// records in the consent ledger, and the records that settle it: an acknowledgement, a re-consent, or a refusal
/// that withdraws processing consent and starts the account's closure.
/// </summary>
public sealed class PolicyAgreement(DerbesDb db, ConsentLedger ledger, AccountClosure closure, AuditTrail audit, IStringLocalizer<SharedResource> l)
{
    public async Task<(PolicyDue Due, int Edition)> DueAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var editions = await db.PolicyEditions.AsNoTracking().Select(e => new { e.Number, e.RequiresReconsent }).ToListAsync(cancellationToken);
        if (editions.Count == 0)
        {
            return (PolicyDue.None, 0);
        }
        var latest = editions.Max(e => e.Number);
        var mustAgreeTo = editions.Where(e => e.RequiresReconsent).Select(e => e.Number).DefaultIfEmpty(0).Max();
        var records = await db.ConsentRecords.AsNoTracking()
            .Where(c => c.AccountId == accountId && c.Purpose == ConsentPurpose.Processing && c.Granted)
            .Select(c => new { c.Action, c.EditionNumber })
            .ToListAsync(cancellationToken);
        var agreed = records.Where(r => r.Action is ConsentAction.Grant or ConsentAction.Reconsent).Select(r => r.EditionNumber).DefaultIfEmpty(0).Max();
        var seen = records.Where(r => r.Action is ConsentAction.Grant or ConsentAction.Reconsent or ConsentAction.Acknowledge).Select(r => r.EditionNumber).DefaultIfEmpty(0).Max();
        if (mustAgreeTo > agreed)
        {
            return (PolicyDue.Reconsent, latest);
        }
        return seen < latest ? (PolicyDue.Acknowledge, latest) : (PolicyDue.None, latest);
    }

    /// <summary>The customer read the edition: one ledger record with the words of the notice they confirmed.</summary>
    public async Task AcknowledgeAsync(Account account, int edition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        ledger.Record(account.Id, ConsentPurpose.Processing, true, edition, Languages.Current, l["PolicyUpdate.AcknowledgeText", edition], ConsentAction.Acknowledge);
        audit.Record("policy.acknowledged", account.Id, outcome: "edition:" + edition);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The customer agreed again, to the processing consent under this edition, in the words shown.</summary>
    public async Task ReconsentAsync(Account account, int edition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        ledger.Record(account.Id, ConsentPurpose.Processing, true, edition, Languages.Current, l["Register.ConsentProcessing", edition], ConsentAction.Reconsent);
        audit.Record("policy.reconsented", account.Id, outcome: "edition:" + edition);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The customer does not agree to the new edition: their processing consent is withdrawn and the account closes.</summary>
    public async Task DeclineAsync(Account account, int edition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        ledger.Record(account.Id, ConsentPurpose.Processing, false, edition, Languages.Current, l["PolicyUpdate.DeclineText", edition]);
        await closure.StartAsync(account, "processing-consent-withdrawn:edition-" + edition, cancellationToken);
    }
}

using System.Globalization;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Disclosures;

/// <summary>A disclosure as the PrivacyOfficer enters it, before it is checked and recorded.</summary>
public sealed record DisclosureDraft(
    DateOnly? DisclosedOn,
    RecipientKind RecipientKind,
    string? RecipientName,
    DisclosureBasis Basis,
    string? RequestNumber,
    DateOnly? RequestDate,
    string? LegalArticle,
    string? Purpose,
    DataCategory Categories,
    DisclosureChannel Channel,
    Guid ApprovedBy,
    bool Confidential,
    IReadOnlyList<ListedCustomer> Customers);

/// <summary>A field of the draft that is wrong, and the message (a resource key) that says why.</summary>
public sealed record DraftProblem(string Field, string MessageKey);

public enum DisclosureRefusal
{
    None,
    /// <summary>Lines of the list that name no customer; <see cref="DisclosureResult.Names"/> lists them.</summary>
    UnknownCustomers,
    /// <summary>3.5.1 without an active third-party-transfer consent; the customers' numbers are listed.</summary>
    NoConsent,
    /// <summary>Blocked customers: only storage is allowed, so no transfer to third parties.</summary>
    Blocked,
    /// <summary>The approving officer is not an active PrivacyOfficer.</summary>
    NotAnOfficer,
}

public sealed record DisclosureResult(DisclosureRefusal Refusal, Disclosure? Disclosure, IReadOnlyList<string> Names)
{
    public bool Recorded => Disclosure is not null;
}

/// <summary>A customer a disclosure concerns, as the register shows them: by customer number only.</summary>
public sealed record DisclosedCustomer(Guid AccountId, string Number, DateTimeOffset? NotifiedAt);

/// <summary>What the register can be filtered by.</summary>
public sealed record DisclosureFilter(DisclosureBasis? Basis = null, RecipientKind? RecipientKind = null, DateOnly? From = null, DateOnly? To = null);

/// <summary>
/// The register of disclosures to state bodies and third parties (policy 3.4, 3.5; Art. 19, 22 of the Law).
/// A transfer on the customer's consent (3.5.1) is refused unless every listed customer's latest
/// third-party-transfer consent is a grant; no transfer to a third party includes a blocked customer. Recording,
/// viewing and exporting are audited, and a non-confidential transfer to a third party is told to each customer
/// by email at once (the law allows 10 working days).
/// </summary>
public sealed class DisclosureRegister(
    DerbesDb db,
    AccountDirectory directory,
    ConsentLedger ledger,
    BlindIndex index,
    AccountMessages messages,
    AuditTrail audit,
    Staff.StaffNames staffNames,
    TimeProvider clock)
{
    public const int PageSize = 200;

    /// <summary>Everything wrong with a draft's fields, before any customer is looked up.</summary>
    public IReadOnlyList<DraftProblem> Check(DisclosureDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var problems = new List<DraftProblem>();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().ToAlmaty().DateTime);
        if (draft.DisclosedOn is not { } on)
        {
            problems.Add(new("DisclosedOn", "Disclosures.DateRequired"));
        }
        else if (on > today || on.Year < 2000)
        {
            problems.Add(new("DisclosedOn", "Disclosures.DateInvalid"));
        }
        if (!Enum.IsDefined(draft.RecipientKind))
        {
            problems.Add(new("RecipientKind", "Disclosures.RecipientKindRequired"));
        }
        if (Text(draft.RecipientName, 200) is null)
        {
            problems.Add(new("RecipientName", "Disclosures.RecipientRequired"));
        }
        if (!Enum.IsDefined(draft.Basis))
        {
            problems.Add(new("Basis", "Disclosures.BasisRequired"));
        }
        else if (Enum.IsDefined(draft.RecipientKind))
        {
            var stateBasis = draft.Basis is DisclosureBasis.LawfulRequest or DisclosureBasis.OtherLegalCase;
            if (stateBasis != (draft.RecipientKind != RecipientKind.ThirdParty))
            {
                problems.Add(new("Basis", stateBasis ? "Disclosures.StateBasisNeedsStateBody" : "Disclosures.ThirdPartyBasisNeedsThirdParty"));
            }
        }
        if (draft.Basis == DisclosureBasis.LawfulRequest)
        {
            if (Text(draft.RequestNumber, 64) is null)
            {
                problems.Add(new("RequestNumber", "Disclosures.RequestNumberRequired"));
            }
            if (draft.RequestDate is not { } requested)
            {
                problems.Add(new("RequestDate", "Disclosures.RequestDateRequired"));
            }
            else if (requested > today || requested.Year < 2000 || (draft.DisclosedOn is { } given && requested > given))
            {
                problems.Add(new("RequestDate", "Disclosures.RequestDateInvalid"));
            }
        }
        if (draft.Basis == DisclosureBasis.OtherLegalCase && Text(draft.LegalArticle, 200) is null)
        {
            problems.Add(new("LegalArticle", "Disclosures.LegalArticleRequired"));
        }
        if (Text(draft.Purpose, 500) is null)
        {
            problems.Add(new("Purpose", "Disclosures.PurposeRequired"));
        }
        var known = Disclosure.AllCategories.Aggregate(DataCategory.None, (all, c) => all | c);
        if (draft.Categories == DataCategory.None || (draft.Categories & ~known) != 0)
        {
            problems.Add(new("Categories", "Disclosures.CategoriesRequired"));
        }
        if (!Enum.IsDefined(draft.Channel))
        {
            problems.Add(new("Channel", "Disclosures.ChannelRequired"));
        }
        if (draft.ApprovedBy == Guid.Empty)
        {
            problems.Add(new("ApprovedBy", "Disclosures.ApproverRequired"));
        }
        if (draft.Confidential && draft.RecipientKind == RecipientKind.ThirdParty)
        {
            // Only a state body's request can keep the customer from being told; a third party's never does.
            problems.Add(new("Confidential", "Disclosures.ConfidentialOnlyForStateBodies"));
        }
        if (draft.Customers.Count == 0)
        {
            problems.Add(new("Customers", "Disclosures.CustomersRequired"));
        }
        return problems;
    }

    /// <summary>
    /// Checks the draft, finds its customers and the basis for each, and records it with one audit entry for the
    /// register and one per customer, all in one transaction; or refuses and says whom the refusal is about.
    /// </summary>
    public async Task<DisclosureResult> RecordAsync(DisclosureDraft draft, Guid recordedBy, CancellationToken cancellationToken)
    {
        if (Check(draft).Count > 0)
        {
            throw new ArgumentException("The draft has problems; call Check first.", nameof(draft));
        }
        if (!await IsActiveOfficerAsync(draft.ApprovedBy, cancellationToken))
        {
            return new(DisclosureRefusal.NotAnOfficer, null, []);
        }
        var (accounts, unknown) = await CustomerList.ResolveAsync(db, index, draft.Customers, cancellationToken);
        if (unknown.Count > 0)
        {
            return await RefuseAsync(DisclosureRefusal.UnknownCustomers, unknown, draft, cancellationToken);
        }
        if (draft.RecipientKind == RecipientKind.ThirdParty)
        {
            var blocked = accounts.Where(a => a.ProcessingStopped).Select(a => a.UserName ?? "").Order(StringComparer.Ordinal).ToList();
            if (blocked.Count > 0)
            {
                return await RefuseAsync(DisclosureRefusal.Blocked, blocked, draft, cancellationToken);
            }
        }
        if (draft.Basis == DisclosureBasis.CustomerConsent)
        {
            var agreed = await ledger.WhoHaveAgreedAsync([.. accounts.Select(a => a.Id)], ConsentPurpose.ThirdPartyTransfer, cancellationToken);
            var missing = accounts.Where(a => !agreed.Contains(a.Id)).Select(a => a.UserName ?? "").Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                return await RefuseAsync(DisclosureRefusal.NoConsent, missing, draft, cancellationToken);
            }
        }

        var now = clock.GetUtcNow();
        var disclosure = new Disclosure
        {
            DisclosedOn = draft.DisclosedOn!.Value,
            RecordedAt = now,
            RecordedBy = recordedBy,
            RecipientKind = draft.RecipientKind,
            RecipientName = Text(draft.RecipientName, 200)!,
            Basis = draft.Basis,
            RequestNumber = draft.Basis == DisclosureBasis.LawfulRequest ? Text(draft.RequestNumber, 64) : null,
            RequestDate = draft.Basis == DisclosureBasis.LawfulRequest ? draft.RequestDate : null,
            LegalArticle = draft.Basis == DisclosureBasis.OtherLegalCase ? Text(draft.LegalArticle, 200) : null,
            Purpose = Text(draft.Purpose, 500)!,
            Categories = draft.Categories,
            Channel = draft.Channel,
            ApprovedBy = draft.ApprovedBy,
            Confidential = draft.Confidential,
            CustomerCount = accounts.Count,
        };
        // The disclosure and its audit entries in one transaction, opened under the chain lock (see DerbesDb.WithChainLockAsync).
        await db.WithChainLockAsync(async ct =>
        {
            db.Disclosures.Add(disclosure);
            await db.SaveChangesAsync(ct);
            var notify = !disclosure.Confidential && disclosure.RecipientKind == RecipientKind.ThirdParty;
            foreach (var account in accounts)
            {
                var subject = new DisclosureSubject { DisclosureId = disclosure.Id, AccountId = account.Id };
                // Told by email where the address is theirs (confirmed); everyone sees it in the cabinet.
                if (notify && account.EmailConfirmed)
                {
                    messages.DataDisclosed(account, directory.Open(account), disclosure);
                    subject.NotifiedAt = now;
                }
                db.DisclosureSubjects.Add(subject);
                audit.Record("customer.disclosed", account.Id, outcome: disclosure.Number);
            }
            audit.Record("disclosure.recorded", disclosure.Number, outcome: string.Create(CultureInfo.InvariantCulture,
                $"basis:{Disclosure.Clause(disclosure.Basis)} customers:{accounts.Count}{(disclosure.Confidential ? " confidential" : "")}"));
            await db.SaveChangesAsync(ct);
            return disclosure.Id;
        }, cancellationToken);
        return new(DisclosureRefusal.None, disclosure, []);
    }

    /// <summary>Lets the customers see a confidential disclosure once the reason for secrecy has passed.</summary>
    public async Task<bool> LiftConfidentialityAsync(long id, Guid by, CancellationToken cancellationToken)
    {
        var disclosure = await db.Disclosures.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (disclosure is null || !disclosure.Confidential)
        {
            return false;
        }
        disclosure.Confidential = false;
        disclosure.ConfidentialityLiftedAt = clock.GetUtcNow();
        disclosure.ConfidentialityLiftedBy = by;
        audit.Record("disclosure.made-visible", disclosure.Number, outcome: "customers:" + disclosure.CustomerCount.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<List<Disclosure>> ListAsync(DisclosureFilter filter, CancellationToken cancellationToken)
    {
        var rows = await Filtered(filter).OrderByDescending(d => d.Id).Take(PageSize).ToListAsync(cancellationToken);
        audit.Record("disclosure.listed", "-", outcome: "rows:" + rows.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return rows;
    }

    /// <summary>One disclosure with the customers it concerns (by number); the look is audited.</summary>
    public async Task<(Disclosure Disclosure, List<DisclosedCustomer> Customers)?> FindAsync(long id, CancellationToken cancellationToken)
    {
        var disclosure = await db.Disclosures.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (disclosure is null)
        {
            return null;
        }
        var customers = await (
            from s in db.DisclosureSubjects.AsNoTracking()
            join a in db.Users.AsNoTracking() on s.AccountId equals a.Id
            where s.DisclosureId == id
            orderby a.UserName
            select new DisclosedCustomer(a.Id, a.UserName ?? "", s.NotifiedAt)).ToListAsync(cancellationToken);
        audit.Record("disclosure.viewed", disclosure.Number, outcome: "customers:" + customers.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return (disclosure, customers);
    }

    /// <summary>The disclosures of one customer's data, newest first; confidential ones only for staff.</summary>
    public Task<List<Disclosure>> ForCustomerAsync(Guid accountId, bool includeConfidential, CancellationToken cancellationToken) =>
        db.Disclosures.AsNoTracking()
            .Where(d => db.DisclosureSubjects.Any(s => s.DisclosureId == d.Id && s.AccountId == accountId))
            .Where(d => includeConfidential || !d.Confidential)
            .OrderByDescending(d => d.Id)
            .ToListAsync(cancellationToken);

    /// <summary>
    /// The register as CSV for the authorized body (one row per disclosure, oldest first), with the staff who
    /// recorded and approved each by name. Cells a spreadsheet would run as formulas are disarmed.
    /// </summary>
    public async Task<byte[]> ExportAsync(DisclosureFilter filter, CancellationToken cancellationToken)
    {
        var rows = await Filtered(filter).OrderBy(d => d.Id).ToListAsync(cancellationToken);
        var names = await staffNames.ForAsync(rows.SelectMany(d => new[] { d.ApprovedBy, d.RecordedBy }), cancellationToken);
        audit.Record("disclosure.exported", "-", outcome: "rows:" + rows.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        var csv = new StringBuilder("number,disclosed_on,recorded_at_utc,recipient_kind,recipient,basis_clause,basis,request_number,request_date,legal_article,purpose,data_categories,channel,customers,confidential,approved_by,recorded_by\r\n");
        foreach (var d in rows)
        {
            csv.AppendJoin(',', [
                d.Number,
                d.DisclosedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                d.RecordedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                d.RecipientKind.ToString(),
                Csv.Cell(d.RecipientName),
                Disclosure.Clause(d.Basis),
                d.Basis.ToString(),
                Csv.Cell(d.RequestNumber ?? ""),
                d.RequestDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
                Csv.Cell(d.LegalArticle ?? ""),
                Csv.Cell(d.Purpose),
                string.Join(' ', Disclosure.Each(d.Categories)),
                d.Channel.ToString(),
                d.CustomerCount.ToString(CultureInfo.InvariantCulture),
                d.Confidential ? "yes" : "no",
                Csv.Cell(names.GetValueOrDefault(d.ApprovedBy.ToString(), d.ApprovedBy.ToString())),
                Csv.Cell(names.GetValueOrDefault(d.RecordedBy.ToString(), d.RecordedBy.ToString()))]).Append("\r\n");
        }
        return Csv.Bytes(csv);
    }

    /// <summary>The customer numbers one disclosure concerns, as CSV.</summary>
    public async Task<byte[]?> ExportCustomersAsync(long id, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, cancellationToken) is not { } found)
        {
            return null;
        }
        audit.Record("disclosure.customers-exported", found.Disclosure.Number, outcome: "rows:" + found.Customers.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        var csv = new StringBuilder("disclosure,customer_number,notified_at_utc\r\n");
        foreach (var c in found.Customers)
        {
            csv.AppendJoin(',', [found.Disclosure.Number, c.Number, c.NotifiedAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? ""]).Append("\r\n");
        }
        return Csv.Bytes(csv);
    }

    private async Task<DisclosureResult> RefuseAsync(DisclosureRefusal refusal, List<string> names, DisclosureDraft draft, CancellationToken cancellationToken)
    {
        audit.Record("disclosure.refused", "-", outcome: string.Create(CultureInfo.InvariantCulture,
            $"{refusal} basis:{Disclosure.Clause(draft.Basis)} count:{names.Count}"));
        await db.SaveChangesAsync(cancellationToken);
        return new(refusal, null, names);
    }

    private async Task<bool> IsActiveOfficerAsync(Guid id, CancellationToken cancellationToken) =>
        await db.Users.AnyAsync(a => a.Id == id && a.Kind == AccountKind.Staff && a.Status == AccountStatus.Active, cancellationToken)
        && await (from ur in db.UserRoles
                  join r in db.Roles on ur.RoleId equals r.Id
                  where ur.UserId == id && r.Name == StaffRoles.PrivacyOfficer
                  select ur).AnyAsync(cancellationToken);

    private IQueryable<Disclosure> Filtered(DisclosureFilter filter)
    {
        var query = db.Disclosures.AsNoTracking();
        if (filter.Basis is { } basis)
        {
            query = query.Where(d => d.Basis == basis);
        }
        if (filter.RecipientKind is { } kind)
        {
            query = query.Where(d => d.RecipientKind == kind);
        }
        if (filter.From is { } from)
        {
            query = query.Where(d => d.DisclosedOn >= from);
        }
        if (filter.To is { } to)
        {
            query = query.Where(d => d.DisclosedOn <= to);
        }
        return query;
    }

    /// <summary>Printable text, trimmed, within the limit; null when empty or too long.</summary>
    private static string? Text(string? typed, int max)
    {
        var printable = new string((typed ?? "").Select(c => char.IsControl(c) && c is not ('\n' or '\r') ? ' ' : c).ToArray()).Trim();
        return printable.Length == 0 || printable.Length > max ? null : printable;
    }
}

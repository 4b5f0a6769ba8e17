using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Privacy;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Staff;

/// <summary>Why a member of staff opens a customer's record; recorded with every look.</summary>
public enum ViewReason
{
    SupportRequest,
    DocumentReview,
    PrivacyRequest,
    Complaint,
    LegalRequest,
}

/// <summary>What became of a correction of a customer's data.</summary>
public enum Correction
{
    Done,
    Unchanged,
    NotFound,
    /// <summary>The record was not opened for a customer's request, which a correction must be recorded against.</summary>
    NotOnARequest,
}

/// <summary>What a member of staff enters from a customer's letter about one consent.</summary>
public enum LetterDecision
{
    Grant,
    Withdraw,
    /// <summary>A withdrawal of processing consent refused with reasons: an obligation is still open (Art. 8 p.2).</summary>
    RefuseWithdrawal,
}

public enum LetterEntry
{
    Done,
    Unchanged,
    NotFound,
    /// <summary>The purpose cannot be switched that way from a letter (the attestation; granting processing).</summary>
    NotAllowed,
}

/// <summary>One record of the proof of consent, with the exact words the customer was shown.</summary>
public sealed record ProvenConsent(ConsentRecord Record, string Text, string? StaffName);

/// <summary>Everything that proves what one customer agreed to (Art. 25), for the authorized body.</summary>
public sealed record ConsentProof(Guid CustomerId, string Number, Profile Profile, DateTimeOffset MadeAt, IReadOnlyList<ProvenConsent> Records, long LedgerRecords, long? LedgerBrokenAt);

public sealed record CustomerHit(Guid Id, string Number, string MaskedEmail, string? MaskedPhone, AccountStatus Status, DateTimeOffset CreatedAt);

public sealed record CustomerRecord(
    Guid Id,
    string Number,
    Profile Profile,
    AccountStatus Status,
    bool EmailConfirmed,
    bool PhoneConfirmed,
    string Language,
    DateTimeOffset CreatedAt,
    IReadOnlyList<CustomerDocument> Documents,
    IReadOnlyList<ConsentRecord> Consents,
    IReadOnlyList<UserSession> Sessions,
    IReadOnlyList<Disclosures.Disclosure> Disclosures,
    IReadOnlyList<AuditEntry> History,
    IReadOnlyDictionary<string, string> StaffNames,
    string? RetentionHold = null);

/// <summary>
/// Staff access to customers (Support, PrivacyOfficer). Search is by exact email, phone or customer number
/// only (keyed indexes: no wildcards, and names are sealed and not searchable); results are masked. A record
/// opens only with a stated reason, through a short-lived grant bound to the member of staff and the customer,
/// and every search, opening and view is an audit entry.
/// </summary>
public sealed class CustomerRecords(
    DerbesDb db,
    AccountDirectory directory,
    AuditTrail audit,
    IHttpContextAccessor http,
    IDataProtectionProvider protection,
    UserManager<Account> users,
    AccountTokens tokens,
    Messaging.AccountMessages messages,
    Microsoft.Extensions.Options.IOptions<AccountOptions> options,
    StaffNames staffNames,
    ConsentLedger ledger,
    AccountClosure closure,
    Microsoft.Extensions.Localization.IStringLocalizer<SharedResource> l,
    TimeProvider clock)
{
    public static readonly TimeSpan GrantLifetime = TimeSpan.FromMinutes(15);
    // The expiry travels inside the protected payload and is checked on the app's clock.
    private readonly IDataProtector _grants = protection.CreateProtector("Derbes.Staff.CustomerView");

    public async Task<List<CustomerHit>> SearchAsync(string? query, CancellationToken cancellationToken)
    {
        var typed = (query ?? "").Trim();
        var found = new List<Account>();
        string by;
        if (typed.Contains('@', StringComparison.Ordinal))
        {
            by = "email";
            found.AddRange(Customers(await directory.FindByEmailAsync(typed, cancellationToken)));
        }
        else
        {
            by = "number-or-phone";
            var digits = new string(typed.Where(char.IsAsciiDigit).ToArray());
            if (digits.Length == 10 && digits.Length == typed.Length)
            {
                found.AddRange(await db.Users.Where(a => a.NormalizedUserName == digits && a.Kind == AccountKind.Customer).ToListAsync(cancellationToken));
            }
            if (KazakhPhone.TryNormalise(typed, out var e164))
            {
                found.AddRange(Customers(await directory.FindByPhoneAsync(e164, cancellationToken)));
            }
        }
        var hits = found.DistinctBy(a => a.Id).Select(a =>
        {
            var profile = directory.Open(a);
            return new CustomerHit(a.Id, a.UserName ?? "", Masking.Email(profile.Email), profile.Phone is null ? null : Masking.Phone(profile.Phone), a.Status, a.CreatedAt);
        }).ToList();
        // What was looked for stays out of the trail (it is personal data); how, and how many, go in.
        audit.Record("customer.search", "-", outcome: $"by:{by} found:{hits.Count}");
        await db.SaveChangesAsync(cancellationToken);
        return hits;
    }

    /// <summary>Records why the record is opened and returns the grant that lets this member of staff read it for a while.</summary>
    public async Task<string?> OpenAsync(Guid customerId, ViewReason reason, string reference, CancellationToken cancellationToken)
    {
        // A destroyed customer has no record left to open: only the depersonalised stub, which names nobody.
        if (!await db.Users.AnyAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer && a.Status != AccountStatus.Destroyed, cancellationToken))
        {
            return null;
        }
        audit.Record("customer.opened", customerId, outcome: Outcome(reason, reference));
        await db.SaveChangesAsync(cancellationToken);
        var until = (clock.GetUtcNow() + GrantLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return _grants.Protect(string.Join('|', StaffId(), customerId.ToString("N"), until, reason, reference));
    }

    /// <summary>The reason a valid grant carries, or null when it is missing, expired, or someone else's.</summary>
    public (ViewReason Reason, string Reference)? CheckGrant(Guid customerId, string? grant)
    {
        if (string.IsNullOrEmpty(grant) || grant.Length > 2048)
        {
            return null;
        }
        string payload;
        try
        {
            payload = _grants.Unprotect(grant);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
        var parts = payload.Split('|', 5);
        return parts.Length == 5
            && parts[0] == StaffId()
            && parts[1] == customerId.ToString("N")
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var until)
            && clock.GetUtcNow().ToUnixTimeSeconds() < until
            && Enum.TryParse<ViewReason>(parts[3], out var reason)
            ? (reason, parts[4])
            : null;
    }

    /// <summary>The whole record, for a holder of a valid grant; the look itself is audited.</summary>
    public async Task<CustomerRecord?> ReadAsync(Guid customerId, (ViewReason Reason, string Reference) grant, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer && a.Status != AccountStatus.Destroyed, cancellationToken);
        if (account is null)
        {
            return null;
        }
        audit.Record("customer.viewed", customerId, outcome: Outcome(grant.Reason, grant.Reference));
        await db.SaveChangesAsync(cancellationToken);
        var subject = customerId.ToString();
        var history = await db.AuditEntries.AsNoTracking().Where(e => e.Subject == subject).OrderByDescending(e => e.Id).Take(50).ToListAsync(cancellationToken);
        return new CustomerRecord(
            account.Id,
            account.UserName ?? "",
            directory.Open(account),
            account.Status,
            account.EmailConfirmed,
            account.PhoneNumberConfirmed,
            account.PreferredLanguage,
            account.CreatedAt,
            await db.Documents.AsNoTracking().Where(d => d.AccountId == customerId).OrderBy(d => d.UploadedAt).ToListAsync(cancellationToken),
            await db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == customerId).OrderBy(c => c.Id).ToListAsync(cancellationToken),
            await db.Sessions.AsNoTracking().Where(s => s.AccountId == customerId).OrderByDescending(s => s.CreatedAt).Take(20).ToListAsync(cancellationToken),
            await db.Disclosures.AsNoTracking().Where(d => db.DisclosureSubjects.Any(s => s.DisclosureId == d.Id && s.AccountId == customerId)).OrderByDescending(d => d.Id).ToListAsync(cancellationToken),
            history,
            await staffNames.ForAsync(history.Select(e => e.Actor), cancellationToken),
            account.RetentionHold);
    }

    /// <summary>
    /// Blocks (Art. 24: processing stops except storage) or unblocks, with the reason on the record. Blocking
    /// ends every session at once.
    /// </summary>
    public async Task<bool> SetBlockedAsync(Guid customerId, bool blocked, ViewReason reason, string reference, CancellationToken cancellationToken)
    {
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null)
        {
            return false;
        }
        if (blocked == (account.Status == AccountStatus.Blocked))
        {
            return true;
        }
        if (blocked)
        {
            account.Status = AccountStatus.Blocked;
            var now = clock.GetUtcNow();
            foreach (var session in await db.Sessions.Where(s => s.AccountId == customerId && s.EndedAt == null).ToListAsync(cancellationToken))
            {
                session.End(now);
            }
            audit.Record("customer.blocked", customerId, outcome: Outcome(reason, reference));
            await users.UpdateSecurityStampAsync(account);
            return true;
        }
        account.Status = account.EmailConfirmed ? AccountStatus.Active : AccountStatus.Unconfirmed;
        audit.Record("customer.unblocked", customerId, outcome: Outcome(reason, reference));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Sends the customer a password-reset link (staff never set or see a password). Not for a blocked customer:
    /// blocking stops recovery too.
    /// </summary>
    public async Task<bool> SendResetAsync(Guid customerId, ViewReason reason, string reference, CancellationToken cancellationToken)
    {
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null || account.ProcessingStopped || !account.EmailConfirmed)
        {
            return false;
        }
        var link = await tokens.IssueLinkAsync(account, TokenPurpose.ResetPasswordLink, options.Value.ResetLifetime, cancellationToken);
        messages.PasswordResetLink(account, directory.Open(account), link);
        audit.Record("customer.reset-sent", customerId, outcome: Outcome(reason, reference));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Sends a new confirmation link to a customer who has not confirmed their email yet.</summary>
    public async Task<bool> ResendConfirmationAsync(Guid customerId, ViewReason reason, string reference, CancellationToken cancellationToken)
    {
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null || account.EmailConfirmed || account.ProcessingStopped)
        {
            return false;
        }
        var link = await tokens.IssueLinkAsync(account, TokenPurpose.ConfirmEmail, options.Value.EmailConfirmationLifetime, cancellationToken);
        messages.ConfirmEmail(account, directory.Open(account), link);
        audit.Record("customer.confirmation-resent", customerId, outcome: Outcome(reason, reference));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Corrects the customer's name on their request (Art. 24: rectification), recorded against that request: the
    /// record must have been opened with the reason "customer's request" and its number. Which fields changed goes
    /// into the audit trail, never the values; the customer is told by email. Email and phone are not corrected
    /// here: the customer changes them from the cabinet, proving the new address or number is theirs.
    /// </summary>
    public async Task<Correction> CorrectNamesAsync(Guid customerId, (ViewReason Reason, string Reference) grant, string firstName, string lastName, CancellationToken cancellationToken)
    {
        if (grant.Reason != ViewReason.PrivacyRequest)
        {
            return Correction.NotOnARequest;
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null)
        {
            return Correction.NotFound;
        }
        var profile = directory.Open(account);
        var changed = new List<string>();
        if (profile.FirstName != firstName)
        {
            changed.Add(AccountDirectory.FirstNameField);
        }
        if (profile.LastName != lastName)
        {
            changed.Add(AccountDirectory.LastNameField);
        }
        if (changed.Count == 0)
        {
            return Correction.Unchanged;
        }
        var corrected = profile with { FirstName = firstName, LastName = lastName };
        directory.Seal(account, corrected);
        audit.Record("customer.corrected", customerId, outcome: Outcome(grant.Reason, grant.Reference) + " " + string.Join(",", changed));
        if (account.EmailConfirmed)
        {
            messages.DataCorrected(account, corrected, grant.Reference);
        }
        await db.SaveChangesAsync(cancellationToken);
        return Correction.Done;
    }

    /// <summary>
    /// Records a customer's decision received by letter (channel: staff entry, with this member of staff and the
    /// letter's reference) in the consent ledger. Withdrawing processing consent starts the account's closure: no
    /// sign-in from now on, every session ends. A refusal records the open obligation instead and changes nothing.
    /// </summary>
    public async Task<LetterEntry> RecordLetterAsync(
        Guid customerId, (ViewReason Reason, string Reference) grant, ConsentPurpose purpose, LetterDecision decision, string letter, string obligation, CancellationToken cancellationToken)
    {
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null)
        {
            return LetterEntry.NotFound;
        }
        var allowed = purpose switch
        {
            ConsentPurpose.Processing => decision != LetterDecision.Grant,
            ConsentPurpose.AdvertisingEmail or ConsentPurpose.AdvertisingSms or ConsentPurpose.ThirdPartyTransfer => decision != LetterDecision.RefuseWithdrawal,
            _ => false,
        };
        if (!allowed)
        {
            return LetterEntry.NotAllowed;
        }
        var current = (await ledger.CurrentAsync(customerId, cancellationToken)).GetValueOrDefault(purpose);
        var agrees = current?.Granted == true;
        if ((decision == LetterDecision.Grant && agrees) || (decision != LetterDecision.Grant && !agrees))
        {
            return LetterEntry.Unchanged;
        }
        var edition = await PolicyEdition.InForceAsync(db, cancellationToken);
        var wording = ConsentWording.Text(l, purpose, edition, account.PreferredLanguage);
        var staffId = Guid.TryParse(StaffId(), out var id) ? id : (Guid?)null;
        if (decision == LetterDecision.RefuseWithdrawal)
        {
            ledger.Record(customerId, purpose, true, edition, account.PreferredLanguage, wording, ConsentAction.WithdrawalRefused, ConsentChannel.StaffEntry, staffId, obligation);
        }
        else
        {
            ledger.Record(customerId, purpose, decision == LetterDecision.Grant, edition, account.PreferredLanguage, wording, channel: ConsentChannel.StaffEntry, staffId: staffId, reference: letter);
        }
        audit.Record("consent.from-letter", customerId, outcome: $"{purpose}:{decision} {Outcome(grant.Reason, grant.Reference)}");
        if (purpose == ConsentPurpose.Processing && decision == LetterDecision.Withdraw)
        {
            await closure.StartAsync(account, "processing-consent-withdrawn:letter", cancellationToken);
            return LetterEntry.Done;
        }
        await db.SaveChangesAsync(cancellationToken);
        return LetterEntry.Done;
    }

    /// <summary>
    /// The proof of consent for one customer (Art. 25): every ledger record with the exact text shown, who entered
    /// it if staff did, and the ledger's own check. Making it is audited with the record's reason.
    /// </summary>
    public async Task<ConsentProof?> ConsentProofAsync(Guid customerId, (ViewReason Reason, string Reference) grant, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null)
        {
            return null;
        }
        var records = await db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == customerId).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        var hashes = records.Select(r => r.TextSha256).Distinct().ToList();
        var texts = await db.ConsentTexts.AsNoTracking().Where(t => hashes.Contains(t.Sha256)).ToDictionaryAsync(t => t.Sha256, t => t.Text, cancellationToken);
        var names = await staffNames.ForAsync(records.Where(r => r.StaffId is not null).Select(r => r.StaffId!.Value), cancellationToken);
        var (count, broken) = await Audit.ChainVerifier.VerifyConsentLedgerAsync(db, cancellationToken);
        audit.Record("customer.consent-proof", customerId, outcome: Outcome(grant.Reason, grant.Reference));
        await db.SaveChangesAsync(cancellationToken);
        return new ConsentProof(
            customerId,
            account.UserName ?? "",
            directory.Open(account),
            clock.GetUtcNow(),
            [.. records.Select(r => new ProvenConsent(r, texts.GetValueOrDefault(r.TextSha256, ""), r.StaffId is { } s ? names.GetValueOrDefault(s.ToString()) : null))],
            count,
            broken);
    }

    /// <summary>A reference as staff type it (a ticket or letter number): printable, trimmed, at most 40 characters.</summary>
    public static string CleanReference(string? typed)
    {
        var printable = new string((typed ?? "").Where(c => !char.IsControl(c) && c != '|').ToArray()).Trim();
        return printable.Length <= 40 ? printable : printable[..40];
    }

    /// <summary>The longest retention hold reason (it is shown to the customer and sent to them).</summary>
    public const int MaxHoldLength = 500;

    /// <summary>
    /// Puts a retention hold on the customer (a law requires keeping their data: the reason is shown to them, and a
    /// closure then ends in a block instead of destruction), or lifts it (<paramref name="hold"/> empty). Lifting the
    /// hold of an account whose closure ended in a block lets the closure finish: it is closing again, already due.
    /// PrivacyOfficer's decision, audited with the record's reason. False when there is no such customer.
    /// </summary>
    public async Task<bool> SetRetentionHoldAsync(Guid customerId, string? hold, (ViewReason Reason, string Reference) grant, CancellationToken cancellationToken)
    {
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == customerId && a.Kind == AccountKind.Customer && a.Status != AccountStatus.Destroyed, cancellationToken);
        if (account is null)
        {
            return false;
        }
        hold = string.IsNullOrWhiteSpace(hold) ? null : hold.Trim();
        if (hold is { Length: > MaxHoldLength })
        {
            hold = hold[..MaxHoldLength];
        }
        if (hold == account.RetentionHold)
        {
            return true;
        }
        account.RetentionHold = hold;
        if (hold is null && account.Status == AccountStatus.Blocked && account.ClosingSince is not null)
        {
            account.Status = AccountStatus.Closing;
        }
        audit.Record(hold is null ? "customer.hold-lifted" : "customer.hold-set", customerId, outcome: Outcome(grant.Reason, grant.Reference));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private static string Outcome(ViewReason reason, string reference) => reason + ":" + reference;

    private static IEnumerable<Account> Customers(Account? account) =>
        account is { Kind: AccountKind.Customer } ? [account] : [];

    private string StaffId() => http.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

/// <summary>
/// Everything Derbes holds about one customer (Art. 24 p.1 sub.1, policy 1.5): the profile, the documents' metadata,
/// the consent ledger with the exact words agreed to, the sign-ins, the sessions, the requests and complaints, and the disclosures of their data to
/// state bodies and third parties except those a state body asked to keep confidential, with how long each kind of
/// data is kept. Free and immediate; every report made is an audit entry.
/// </summary>
public sealed class PersonalDataExport(
    DerbesDb db,
    AccountDirectory directory,
    Security.PersonalDataVault vault,
    AuditTrail audit,
    IOptionsMonitor<DocumentOptions> documents,
    IOptionsMonitor<AuditOptions> auditOptions,
    IOptionsMonitor<AccountOptions> accounts,
    IOptionsMonitor<Retention.RetentionOptions> retention,
    TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The report for the signed-in customer; <paramref name="format"/> ("page", "json", "print") goes into the audit entry.</summary>
    public async Task<PersonalDataReport> ReportAsync(Guid accountId, string format, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == accountId && a.Kind == AccountKind.Customer, cancellationToken);
        var profile = directory.Open(account);
        var now = clock.GetUtcNow();

        var documentRows = await db.Documents.AsNoTracking().Where(d => d.AccountId == accountId).OrderBy(d => d.UploadedAt).ToListAsync(cancellationToken);
        var records = await db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == accountId).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        var hashes = records.Select(r => r.TextSha256).Distinct().ToList();
        var texts = await db.ConsentTexts.AsNoTracking().Where(t => hashes.Contains(t.Sha256)).ToDictionaryAsync(t => t.Sha256, t => t.Text, cancellationToken);
        var subject = accountId.ToString();
        // How far back the sign-in history goes: its retention, as the retention table says (issue 9).
        var since = now - retention.CurrentValue.SignInHistory;
        var signIns = await db.AuditEntries.AsNoTracking()
            .Where(e => e.Subject == subject && e.At >= since && (e.Action == "signin.succeeded" || e.Action == "signin.failed" || e.Action == "account.locked"))
            .OrderByDescending(e => e.Id)
            .Select(e => new SignInRecord(e.At, e.Action, e.Outcome, e.Ip))
            .ToListAsync(cancellationToken);
        var sessions = await db.Sessions.AsNoTracking().Where(s => s.AccountId == accountId).OrderByDescending(s => s.CreatedAt)
            .Select(s => new SessionRecord(s.CreatedAt, s.LastSeenAt, s.EndedAt, s.UserAgent, s.Ip))
            .ToListAsync(cancellationToken);
        var disclosures = await db.Disclosures.AsNoTracking()
            .Where(d => !d.Confidential && db.DisclosureSubjects.Any(s => s.DisclosureId == d.Id && s.AccountId == accountId))
            .OrderByDescending(d => d.DisclosedOn)
            .ToListAsync(cancellationToken);

        var requests = await db.CustomerRequests.AsNoTracking().Include(r => r.Events).Where(r => r.AccountId == accountId).OrderByDescending(r => r.Id).ToListAsync(cancellationToken);

        audit.Record("customer.exported", accountId, outcome: format, actor: accountId.ToString(), role: AuditTrail.CustomerRole);
        await db.SaveChangesAsync(cancellationToken);

        var declined = ConsentLedger.Declined(records);
        var consents = records
            .Select(r => new ConsentEntry(r.At, r.Purpose, declined.Contains(r.Id) ? "Declined" : r.Action.ToString(), r.Granted, r.EditionNumber, r.Language, r.Channel, texts.GetValueOrDefault(r.TextSha256, "")))
            .ToList();

        return new PersonalDataReport(
            now,
            new ProfileRecord(account.UserName ?? "", profile.FirstName, profile.LastName, profile.Email, profile.Phone, account.EmailConfirmed,
                account.PhoneNumberConfirmed, account.PreferredLanguage, account.Status, account.CreatedAt, account.ConfirmedAt, account.ClosingSince,
                account.TwoFactorEnabled, account.RetentionHold),
            [.. documentRows.Select(d => new DocumentRecord(d.Id, d.ContentType, d.Size, d.Status, d.UploadedAt, d.ReviewedAt, d.Rejection, d.PurgedAt))],
            [.. consents.AsEnumerable().Reverse()],
            signIns,
            sessions,
            [.. requests.Select(r => new RequestRecord(r.Number, r.Kind, r.Channel, r.ReceivedAt, r.DueOn, r.Status,
                r.SealedText.Length == 0 ? "" : vault.OpenString(accountId, CustomerRequest.TextField(r.Number), r.SealedText),
                r.SealedAnswer is null ? null : vault.OpenString(accountId, CustomerRequest.AnswerField(r.Number), r.SealedAnswer), r.AnsweredAt,
                [.. r.Events.Where(e => e.Visible).OrderBy(e => e.Id).Select(e => new RequestStep(e.At, e.Type,
                    e.SealedText is null ? null : vault.OpenString(accountId, RequestEvent.TextField(r.Number, e.TextKey), e.SealedText),
                    e.FromKind, e.ToKind, e.DueBefore, e.DueAfter))]))],
            [.. disclosures.Select(d => new DisclosureRecord(d.Number, d.DisclosedOn, d.RecipientKind, d.RecipientName, d.Basis, d.Purpose,
                [.. Disclosures.Disclosure.Each(d.Categories)], d.Channel))],
            new StoragePeriods(
                (int)documents.CurrentValue.VerifiedRetention.TotalDays,
                (int)retention.CurrentValue.SignInHistory.TotalDays,
                (int)auditOptions.CurrentValue.Retention.TotalDays,
                (int)accounts.CurrentValue.ClosingGracePeriod.TotalDays,
                (int)documents.CurrentValue.RejectedRetention.TotalDays,
                (int)retention.CurrentValue.UnconfirmedAccounts.TotalDays));
    }

    /// <summary>The report as the JSON file the customer downloads (UTF-8, indented, enums as words).</summary>
    public static byte[] ToJson(PersonalDataReport report) => JsonSerializer.SerializeToUtf8Bytes(report, Json);
}

public sealed record PersonalDataReport(
    DateTimeOffset GeneratedAt,
    ProfileRecord Profile,
    IReadOnlyList<DocumentRecord> Documents,
    IReadOnlyList<ConsentEntry> Consents,
    IReadOnlyList<SignInRecord> SignIns,
    IReadOnlyList<SessionRecord> Sessions,
    IReadOnlyList<RequestRecord> Requests,
    IReadOnlyList<DisclosureRecord> Disclosures,
    StoragePeriods StoragePeriods);

public sealed record ProfileRecord(
    string CustomerNumber,
    string FirstName,
    string LastName,
    string Email,
    string? Phone,
    bool EmailConfirmed,
    bool PhoneConfirmed,
    string PreferredLanguage,
    AccountStatus Status,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? ClosingSince,
    bool TwoFactorEnabled,
    string? RetentionHold);

public sealed record DocumentRecord(Guid Id, string ContentType, long Size, DocumentStatus Status, DateTimeOffset UploadedAt, DateTimeOffset? ReviewedAt, RejectionReason? Rejection, DateTimeOffset? FileDestroyedAt);

public sealed record ConsentEntry(DateTimeOffset At, ConsentPurpose Purpose, string Action, bool Agrees, int Edition, string Language, ConsentChannel Channel, string Text);

public sealed record SignInRecord(DateTimeOffset At, string Action, string Outcome, string Ip);

public sealed record SessionRecord(DateTimeOffset StartedAt, DateTimeOffset LastSeenAt, DateTimeOffset? EndedAt, string UserAgent, string Ip);

public sealed record RequestRecord(string Number, RequestKind Kind, RequestChannel Channel, DateTimeOffset ReceivedAt, DateOnly DueOn, RequestStatus Status, string Text, string? Answer, DateTimeOffset? AnsweredAt, IReadOnlyList<RequestStep> History);

public sealed record DisclosureRecord(
    string Number,
    DateOnly DisclosedOn,
    Disclosures.RecipientKind RecipientKind,
    string Recipient,
    Disclosures.DisclosureBasis Basis,
    string Purpose,
    IReadOnlyList<Disclosures.DataCategory> Categories,
    Disclosures.DisclosureChannel Channel);

/// <summary>How long each kind of data is kept, in days, as configured now: the retention table of /admin/retention.</summary>
public sealed record StoragePeriods(int VerifiedDocumentScans, int SignInHistory, int AuditTrail, int AfterClosing, int RejectedDocumentScans, int UnconfirmedAccount);

using System.Globalization;
using System.Security.Cryptography;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Requests;

/// <summary>Why a request was not filed; <see cref="None"/> when it was.</summary>
public enum FilingRefusal
{
    None,
    NotACustomer,
    TextMissing,
    TextTooLong,
    TextNotAllowed,
    /// <summary>A file came with a kind that takes none (only a rectification rests on documents).</summary>
    DocumentNotForThisKind,
    /// <summary>The file was refused by the document inspector (see <see cref="FilingResult.Document"/>).</summary>
    DocumentRejected,
}

/// <summary>A file the customer sends with a request, as uploaded.</summary>
public sealed record RequestUpload(string FileName, ReadOnlyMemory<byte> Content);

public sealed record FilingResult(CustomerRequest? Request, FilingRefusal Refusal, DocumentRejection Document = DocumentRejection.None)
{
    public bool Filed => Request is not null;
}

public sealed record RequestSummary(long Id, string Number, RequestKind Kind, DateTimeOffset ReceivedAt, DateOnly DueOn, RequestStatus Status);

public sealed record RequestFile(long Id, string Name, string ContentType, long Size);

/// <summary>One request opened for its owner: the texts unsealed.</summary>
public sealed record RequestView(RequestSummary Summary, RequestChannel Channel, string Text, string? Answer, DateTimeOffset? AnsweredAt, IReadOnlyList<RequestFile> Files);

/// <summary>What the cabinet's overview says about requests: how many are open, and the nearest due date among them.</summary>
public sealed record OpenRequests(int Count, DateOnly? NextDue);

/// <summary>
/// The customer's side of statutory requests (Art. 24) and complaints (policy 5.2): filing, with a number, a due
/// date on the working-day calendar and an acknowledgement email; listing and opening one's own. Everything acts on
/// the account it is given; the pages and the API give the signed-in one, so another customer's request is "not
/// found". Filing and opening are audited.
/// </summary>
public sealed class CustomerRequests(
    DerbesDb db,
    PersonalDataVault vault,
    AccountDirectory directory,
    DocumentInspector inspector,
    IDocumentStore store,
    WorkingCalendarProvider calendars,
    AccountMessages messages,
    AuditTrail audit,
    IOptionsMonitor<RequestOptions> options,
    TimeProvider clock)
{
    /// <summary>The kinds a customer files from the cabinet, in the order the form offers them.</summary>
    public static readonly RequestKind[] CustomerKinds =
    [
        RequestKind.Rectification,
        RequestKind.Blocking,
        RequestKind.Destruction,
        RequestKind.ConsentWithdrawal,
        RequestKind.AutomatedDecisionObjection,
        RequestKind.Information,
        RequestKind.Complaint,
    ];

    public int MaxTextLength => options.CurrentValue.MaxTextLength;

    public int TermOf(RequestKind kind) => options.CurrentValue.DaysFor(kind);

    /// <summary>
    /// Files a request received now. The text is checked (present, within <see cref="RequestOptions.MaxTextLength"/>,
    /// no control characters), a file is accepted only with a rectification and only as the document inspector
    /// accepts it (PDF, JPEG, PNG), and nothing is stored when anything is refused.
    /// </summary>
    public async Task<FilingResult> FileAsync(Guid accountId, RequestKind kind, string? text, RequestUpload? upload, RequestChannel channel, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind));
        }
        var refusal = CheckText(text, out var clean);
        if (refusal != FilingRefusal.None)
        {
            return new FilingResult(null, refusal);
        }
        InspectedDocument? document = null;
        if (upload is not null)
        {
            if (kind != RequestKind.Rectification)
            {
                return new FilingResult(null, FilingRefusal.DocumentNotForThisKind);
            }
            var inspection = await inspector.InspectAsync(upload.Content, cancellationToken);
            if (inspection.Document is null)
            {
                return new FilingResult(null, FilingRefusal.DocumentRejected, inspection.Rejection);
            }
            document = inspection.Document;
        }
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == accountId && a.Kind == AccountKind.Customer, cancellationToken);
        if (account is null)
        {
            return new FilingResult(null, FilingRefusal.NotACustomer);
        }

        var now = clock.GetUtcNow();
        var attachment = document is null ? null : await StoreAsync(accountId, document, upload!.FileName, now, cancellationToken);
        var settings = options.CurrentValue;
        var calendar = await calendars.CurrentAsync(cancellationToken);
        var receivedOn = WorkingCalendar.AlmatyDate(now);
        // Numbers follow each other within a year. Every filing writes an audit entry, so it runs under the lock
        // that serialises the audit chain's writers (in this process, and across instances on PostgreSQL): the
        // largest number read here is still the largest when this one is saved. The unique index is the backstop.
        return await db.WithChainLockAsync(async ct =>
        {
            var last = await db.CustomerRequests.Where(r => r.Year == receivedOn.Year).MaxAsync(r => (int?)r.Sequence, ct) ?? 0;
            var number = CustomerRequest.FormatNumber(settings.NumberPrefix, receivedOn.Year, last + 1);
            var request = new CustomerRequest
            {
                Number = number,
                Year = receivedOn.Year,
                Sequence = last + 1,
                AccountId = accountId,
                Kind = kind,
                Channel = channel,
                SealedText = vault.Seal(accountId, CustomerRequest.TextField(number), clean),
                ReceivedAt = now,
                ReceivedOn = receivedOn,
                DueOn = calendar.AddWorkingDays(receivedOn, settings.DaysFor(kind)),
                Status = RequestStatus.Received,
            };
            if (attachment is not null)
            {
                request.Attachments.Add(attachment);
            }
            db.CustomerRequests.Add(request);
            audit.Record("request.filed", accountId, outcome: $"{number}:{kind}" + (attachment is null ? "" : ":file"));
            messages.RequestReceived(account, directory.Open(account), request);
            await db.SaveChangesAsync(ct);
            return new FilingResult(request, FilingRefusal.None);
        }, cancellationToken);
    }

    /// <summary>The account's requests, newest first.</summary>
    public Task<List<RequestSummary>> ListOwnAsync(Guid accountId, CancellationToken cancellationToken) =>
        db.CustomerRequests.AsNoTracking()
            .Where(r => r.AccountId == accountId)
            .OrderByDescending(r => r.Id)
            .Select(r => new RequestSummary(r.Id, r.Number, r.Kind, r.ReceivedAt, r.DueOn, r.Status))
            .ToListAsync(cancellationToken);

    /// <summary>One of the account's requests with its texts opened, or null when the account has none with that id. The look is audited.</summary>
    public async Task<RequestView?> FindOwnAsync(Guid accountId, long id, CancellationToken cancellationToken)
    {
        var request = await db.CustomerRequests.AsNoTracking().Include(r => r.Attachments)
            .SingleOrDefaultAsync(r => r.Id == id && r.AccountId == accountId, cancellationToken);
        if (request is null)
        {
            return null;
        }
        var files = request.Attachments.OrderBy(a => a.Id)
            .Select(a => new RequestFile(a.Id, vault.OpenString(accountId, RequestAttachment.NameField(a.StorageName), a.SealedName), a.ContentType, a.Size))
            .ToList();
        var view = new RequestView(
            new RequestSummary(request.Id, request.Number, request.Kind, request.ReceivedAt, request.DueOn, request.Status),
            request.Channel,
            vault.OpenString(accountId, CustomerRequest.TextField(request.Number), request.SealedText),
            request.SealedAnswer is null ? null : vault.OpenString(accountId, CustomerRequest.AnswerField(request.Number), request.SealedAnswer),
            request.AnsweredAt,
            files);
        audit.Record("request.viewed", accountId, outcome: request.Number);
        await db.SaveChangesAsync(cancellationToken);
        return view;
    }

    /// <summary>A file of one of the account's requests, opened for its owner (audited), or null.</summary>
    public async Task<(RequestFile File, byte[] Bytes)?> OpenFileAsync(Guid accountId, long requestId, long fileId, CancellationToken cancellationToken)
    {
        var file = await db.RequestAttachments.AsNoTracking()
            .Where(a => a.Id == fileId && a.RequestId == requestId && db.CustomerRequests.Any(r => r.Id == requestId && r.AccountId == accountId))
            .SingleOrDefaultAsync(cancellationToken);
        var sealedBytes = file is null ? null : await store.GetAsync(file.StorageName, cancellationToken);
        if (file is null || sealedBytes is null)
        {
            return null;
        }
        var bytes = vault.Open(accountId, RequestAttachment.BytesField(file.StorageName), sealedBytes);
        var name = vault.OpenString(accountId, RequestAttachment.NameField(file.StorageName), file.SealedName);
        audit.Record("request.file-opened", accountId, outcome: string.Create(CultureInfo.InvariantCulture, $"{requestId}:{fileId}"));
        await db.SaveChangesAsync(cancellationToken);
        return (new RequestFile(file.Id, name, file.ContentType, file.Size), bytes);
    }

    /// <summary>For the overview: the account's open requests and the nearest due date among them.</summary>
    public async Task<OpenRequests> OpenAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var due = await db.CustomerRequests.AsNoTracking()
            .Where(r => r.AccountId == accountId && (r.Status == RequestStatus.Received || r.Status == RequestStatus.InProgress))
            .Select(r => r.DueOn)
            .ToListAsync(cancellationToken);
        return new OpenRequests(due.Count, due.Count == 0 ? null : due.Min());
    }

    private FilingRefusal CheckText(string? text, out string clean)
    {
        // Browsers send a textarea's line breaks as CR LF; counted as one character, as the page's counter does.
        clean = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (clean.Length == 0)
        {
            return FilingRefusal.TextMissing;
        }
        if (clean.Length > options.CurrentValue.MaxTextLength)
        {
            return FilingRefusal.TextTooLong;
        }
        return clean.Any(c => char.IsControl(c) && c is not '\n' and not '\t') ? FilingRefusal.TextNotAllowed : FilingRefusal.None;
    }

    private async Task<RequestAttachment> StoreAsync(Guid accountId, InspectedDocument document, string fileName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var storageName = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await store.PutAsync(storageName, vault.Seal(accountId, RequestAttachment.BytesField(storageName), document.Bytes), cancellationToken);
        return new RequestAttachment
        {
            StorageName = storageName,
            SealedName = vault.Seal(accountId, RequestAttachment.NameField(storageName), DocumentFileName.Clean(fileName)),
            ContentType = document.ContentType,
            Size = document.Bytes.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(document.Bytes)),
            AddedAt = now,
        };
    }
}

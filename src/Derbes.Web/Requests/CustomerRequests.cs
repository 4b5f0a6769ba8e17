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
    /// <summary>A paper letter entered by staff comes with its scan.</summary>
    LetterScanMissing,
    /// <summary>The day of receipt given by staff is in the future, or more than a year ago.</summary>
    ReceivedOnInvalid,
    /// <summary>A letter or an email entered by staff says how its sender was identified.</summary>
    IdentificationMissing,
}

/// <summary>
/// How a request came in: the customer in the cabinet or the app (nothing else set), or a member of staff entering a
/// paper letter or an email (<see cref="EnteredBy"/>), with the day it was received and how its sender was identified.
/// </summary>
public sealed record RequestIntake(RequestChannel Channel, DateOnly? ReceivedOn = null, Guid? EnteredBy = null, SenderIdentification? Identification = null)
{
    public bool ByStaff => EnteredBy is not null;
}

/// <summary>A file the customer sends with a request, as uploaded.</summary>
public sealed record RequestUpload(string FileName, ReadOnlyMemory<byte> Content);

public sealed record FilingResult(CustomerRequest? Request, FilingRefusal Refusal, DocumentRejection Document = DocumentRejection.None)
{
    public bool Filed => Request is not null;
}

public sealed record RequestSummary(long Id, string Number, RequestKind Kind, DateTimeOffset ReceivedAt, DateOnly DueOn, RequestStatus Status);

public sealed record RequestFile(long Id, string Name, string ContentType, long Size);

/// <summary>A step of the request's history that its customer sees: a question, their reply, a new due date or kind, the answer, the closing.</summary>
public sealed record RequestStep(DateTimeOffset At, RequestEventType Type, string? Text, RequestKind? FromKind, RequestKind? ToKind, DateOnly? DueBefore, DateOnly? DueAfter);

/// <summary>One request opened for its owner: the texts unsealed.</summary>
public sealed record RequestView(RequestSummary Summary, RequestChannel Channel, string Text, string? Answer, DateTimeOffset? AnsweredAt, IReadOnlyList<RequestFile> Files, IReadOnlyList<RequestStep> History);

/// <summary>What became of the customer's reply to a question.</summary>
public enum ReplyResult
{
    Done,
    NotFound,
    /// <summary>No question awaits a reply (answered meanwhile, or never asked).</summary>
    NotAwaiting,
    TextMissing,
    TextTooLong,
    TextNotAllowed,
}

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
        RequestKind.BreachReport,
    ];

    /// <summary>The kinds staff enter from letters and emails: the customer's, and unblocking (a blocked customer cannot sign in).</summary>
    public static readonly RequestKind[] StaffKinds = [.. CustomerKinds, RequestKind.Unblocking];

    public int MaxTextLength => options.CurrentValue.MaxTextLength;

    public int TermOf(RequestKind kind) => options.CurrentValue.DaysFor(kind);

    /// <summary>
    /// Files a request received now. The text is checked (present, within <see cref="RequestOptions.MaxTextLength"/>,
    /// no control characters), a file is accepted only with a rectification and only as the document inspector
    /// accepts it (PDF, JPEG, PNG), and nothing is stored when anything is refused.
    /// </summary>
    public Task<FilingResult> FileAsync(Guid accountId, RequestKind kind, string? text, RequestUpload? upload, RequestChannel channel, CancellationToken cancellationToken) =>
        FileAsync(accountId, kind, text, upload, new RequestIntake(channel), cancellationToken);

    /// <summary>
    /// Files a request as it came in. Entered by staff, any of <see cref="StaffKinds"/> may carry the scanned letter
    /// (a paper letter must), the day of receipt is the one given (the term counts from it), and the sender's
    /// identification is recorded; the entry is audited with the member of staff.
    /// </summary>
    public async Task<FilingResult> FileAsync(Guid accountId, RequestKind kind, string? text, RequestUpload? upload, RequestIntake intake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intake);
        if (!Enum.IsDefined(kind) || !(intake.ByStaff ? StaffKinds : CustomerKinds).Contains(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind));
        }
        var refusal = CheckText(text, options.CurrentValue.MaxTextLength, out var clean);
        if (refusal != FilingRefusal.None)
        {
            return new FilingResult(null, refusal);
        }
        var today = WorkingCalendar.AlmatyDate(clock.GetUtcNow());
        if (intake.ByStaff)
        {
            if (intake.ReceivedOn is not { } given || given > today || given < today.AddYears(-1))
            {
                return new FilingResult(null, FilingRefusal.ReceivedOnInvalid);
            }
            if (intake.Identification is not { } how || !Enum.IsDefined(how))
            {
                return new FilingResult(null, FilingRefusal.IdentificationMissing);
            }
            if (intake.Channel == RequestChannel.Paper && upload is null)
            {
                return new FilingResult(null, FilingRefusal.LetterScanMissing);
            }
        }
        InspectedDocument? document = null;
        if (upload is not null)
        {
            if (kind != RequestKind.Rectification && !intake.ByStaff)
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
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == accountId && a.Kind == AccountKind.Customer && a.Status != AccountStatus.Destroyed, cancellationToken);
        if (account is null)
        {
            return new FilingResult(null, FilingRefusal.NotACustomer);
        }

        var now = clock.GetUtcNow();
        var attachment = document is null ? null : await StoreAsync(accountId, document, upload!.FileName, now, cancellationToken);
        if (attachment is not null)
        {
            attachment.AddedBy = intake.EnteredBy;
        }
        var settings = options.CurrentValue;
        var calendar = await calendars.CurrentAsync(cancellationToken);
        var receivedOn = intake.ReceivedOn ?? today;
        // A letter received on an earlier day counts from that day; its moment is the start of it in Asia/Almaty.
        var receivedAt = receivedOn == today ? now : new DateTimeOffset(receivedOn.ToDateTime(TimeOnly.MinValue), WorkingCalendar.AlmatyOffset).ToUniversalTime();
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
                Channel = intake.Channel,
                EnteredBy = intake.EnteredBy,
                Identification = intake.ByStaff ? intake.Identification : null,
                SealedText = vault.Seal(accountId, CustomerRequest.TextField(number), clean),
                ReceivedAt = receivedAt,
                ReceivedOn = receivedOn,
                DueOn = calendar.AddWorkingDays(receivedOn, settings.DaysFor(kind)),
                Status = RequestStatus.Received,
            };
            if (attachment is not null)
            {
                request.Attachments.Add(attachment);
            }
            db.CustomerRequests.Add(request);
            // The trail keeps 64 characters: a letter's channel and day of receipt, the rest is on the request.
            audit.Record(intake.ByStaff ? "request.entered" : "request.filed", accountId, outcome: intake.ByStaff
                ? string.Create(CultureInfo.InvariantCulture, $"{number}:{kind}:{intake.Channel}:{receivedOn:yyyyMMdd}")
                : $"{number}:{kind}" + (attachment is null ? "" : ":file"));
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
        // Split: in one query each attachment would come back once per event, with the request's text every time.
        var request = await db.CustomerRequests.AsNoTracking().Include(r => r.Attachments).Include(r => r.Events).AsSplitQuery()
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
            files,
            [.. request.Events.Where(e => e.Visible).OrderBy(e => e.Id).Select(e => new RequestStep(
                e.At, e.Type,
                e.SealedText is null ? null : vault.OpenString(accountId, RequestEvent.TextField(request.Number, e.TextKey), e.SealedText),
                e.FromKind, e.ToKind, e.DueBefore, e.DueAfter))]);
        audit.Record("request.viewed", accountId, outcome: request.Number);
        await db.SaveChangesAsync(cancellationToken);
        return view;
    }

    /// <summary>
    /// The customer's reply to staff's question: the request is back with staff. Where the clock stopped for the
    /// question (<see cref="RequestOptions.PauseWhileAwaitingCustomer"/>), the due date moves by the working days it
    /// waited. Audited; saved with a new version, so a step staff took meanwhile is not overwritten.
    /// </summary>
    public async Task<ReplyResult> ReplyAsync(Guid accountId, long id, string? text, CancellationToken cancellationToken)
    {
        var refusal = CheckText(text, options.CurrentValue.MaxTextLength, out var clean);
        if (refusal != FilingRefusal.None)
        {
            return refusal switch
            {
                FilingRefusal.TextMissing => ReplyResult.TextMissing,
                FilingRefusal.TextTooLong => ReplyResult.TextTooLong,
                _ => ReplyResult.TextNotAllowed,
            };
        }
        var request = await db.CustomerRequests.SingleOrDefaultAsync(r => r.Id == id && r.AccountId == accountId, cancellationToken);
        if (request is null)
        {
            return ReplyResult.NotFound;
        }
        if (request.Status != RequestStatus.AwaitingCustomer)
        {
            return ReplyResult.NotAwaiting;
        }
        var now = clock.GetUtcNow();
        var before = request.DueOn;
        if (request.PausedOn is { } paused)
        {
            var calendar = await calendars.CurrentAsync(cancellationToken);
            var today = WorkingCalendar.AlmatyDate(now);
            var waited = 0;
            for (var day = paused.AddDays(1); day <= today; day = day.AddDays(1))
            {
                waited += calendar.IsWorkingDay(day) ? 1 : 0;
            }
            request.DueOn = waited == 0 ? before : calendar.AddWorkingDays(before, waited);
            request.PausedOn = null;
        }
        request.Status = RequestStatus.InProgress;
        request.Version++;
        var key = Guid.NewGuid();
        db.RequestEvents.Add(new RequestEvent
        {
            RequestId = request.Id,
            At = now,
            Type = RequestEventType.CustomerReplied,
            Visible = true,
            TextKey = key,
            SealedText = vault.Seal(accountId, RequestEvent.TextField(request.Number, key), clean),
            DueBefore = request.DueOn == before ? null : before,
            DueAfter = request.DueOn == before ? null : request.DueOn,
        });
        audit.Record("request.customer-replied", accountId, outcome: request.Number);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return ReplyResult.NotAwaiting;
        }
        return ReplyResult.Done;
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
            .Where(r => r.AccountId == accountId && r.Status != RequestStatus.Answered && r.Status != RequestStatus.Closed)
            .Select(r => r.DueOn)
            .ToListAsync(cancellationToken);
        return new OpenRequests(due.Count, due.Count == 0 ? null : due.Min());
    }

    /// <summary>
    /// The one check of a text in a request (the customer's, a reply, staff's notes, questions, reasons and answers):
    /// present, within <paramref name="maxLength"/>, no control characters but line breaks and tabs.
    /// </summary>
    internal static FilingRefusal CheckText(string? text, int maxLength, out string clean)
    {
        // Browsers send a textarea's line breaks as CR LF; counted as one character, as the page's counter does.
        clean = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (clean.Length == 0)
        {
            return FilingRefusal.TextMissing;
        }
        if (clean.Length > maxLength)
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

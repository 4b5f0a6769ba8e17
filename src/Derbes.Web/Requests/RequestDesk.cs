using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Requests;

/// <summary>What became of a step staff took on a request.</summary>
public enum DeskResult
{
    Done,
    NotFound,
    /// <summary>Someone else changed the request since this member of staff loaded it: nothing was changed; reload.</summary>
    Conflict,
    /// <summary>The request is answered or closed: it takes no more steps but closing.</summary>
    NotOpen,
    TextMissing,
    TextTooLong,
    TextNotAllowed,
    /// <summary>The assignee is not an active member of staff who handles requests.</summary>
    NotAssignable,
    /// <summary>The kind is the one it has, or not one staff may give.</summary>
    KindUnchanged,
    /// <summary>An extension of 0 days, or more than <see cref="RequestOptions.MaxExtensionDays"/>.</summary>
    DaysOutOfRange,
    /// <summary>Only an answered request (or an open one, by closing it unanswered with a reason) can be closed.</summary>
    NotAnswered,
}

/// <summary>A row of the staff's list: no customer's name, email or phone, only the customer number.</summary>
public sealed record DeskRow(long Id, string Number, RequestKind Kind, RequestChannel Channel, DateOnly ReceivedOn, DateOnly DueOn, RequestStatus Status, string? Assignee, RequestUrgency Urgency, string CustomerNumber);

/// <summary>One step in a request's history, its text opened.</summary>
public sealed record DeskEvent(DateTimeOffset At, RequestEventType Type, string Actor, bool Visible, string? Text, string? Assignee, RequestKind? FromKind, RequestKind? ToKind, DateOnly? DueBefore, DateOnly? DueAfter);

/// <summary>A request opened by staff: the customer's words, the files, the history.</summary>
public sealed record DeskRequest(
    CustomerRequest Request,
    string CustomerNumber,
    string CustomerName,
    string CustomerLanguage,
    string Text,
    string? Answer,
    IReadOnlyList<RequestFile> Files,
    IReadOnlyList<DeskEvent> Events,
    RequestUrgency Urgency,
    string? Assignee,
    string? EnteredBy,
    IReadOnlyList<LinkedBreach> Breaches);

/// <summary>An incident of the breach register that a request is linked to (a customer's report of a breach).</summary>
public sealed record LinkedBreach(long Id, string Number);

/// <summary>A member of staff a request can be assigned to.</summary>
public sealed record Assignable(Guid Id, string Name);

/// <summary>
/// The staff side of requests and complaints (issue 7): the list by due date, and each step on one request: assign,
/// note, ask the customer, extend with a reason, reclassify, answer, close. Every step is a <see cref="RequestEvent"/>
/// (its text sealed with the customer's key), audited with the member of staff, and guarded by the request's
/// <see cref="CustomerRequest.Version"/>: a step taken on what another member of staff has meanwhile changed fails
/// with <see cref="DeskResult.Conflict"/> and changes nothing. What the customer must know (a question, a new due date,
/// a new kind, the answer) is told by email and shown in the cabinet.
/// </summary>
public sealed class RequestDesk(
    DerbesDb db,
    PersonalDataVault vault,
    AccountDirectory directory,
    Documents.IDocumentStore files,
    WorkingCalendarProvider calendars,
    AccountMessages messages,
    AuditTrail audit,
    IHttpContextAccessor http,
    Staff.StaffNames staffNames,
    IOptionsMonitor<RequestOptions> options,
    TimeProvider clock)
{
    /// <summary>The roles that work on requests.</summary>
    public const string Roles = StaffRoles.Support + "," + StaffRoles.PrivacyOfficer;

    public int MaxTextLength => options.CurrentValue.MaxTextLength;

    public int MaxExtensionDays => options.CurrentValue.MaxExtensionDays;

    /// <summary>Requests, the open ones first by due date (overdue on top), then the rest newest first; at most <paramref name="take"/>.</summary>
    public async Task<List<DeskRow>> ListAsync(bool open, RequestKind? kind, bool mine, CancellationToken cancellationToken, int take = 200)
    {
        var calendar = await calendars.CurrentAsync(cancellationToken);
        var today = WorkingCalendar.AlmatyDate(clock.GetUtcNow());
        var query = db.CustomerRequests.AsNoTracking();
        query = open
            ? query.Where(r => r.Status != RequestStatus.Answered && r.Status != RequestStatus.Closed).OrderBy(r => r.DueOn).ThenBy(r => r.Id)
            : query.Where(r => r.Status == RequestStatus.Answered || r.Status == RequestStatus.Closed).OrderByDescending(r => r.Id);
        if (kind is { } k)
        {
            query = query.Where(r => r.Kind == k);
        }
        if (mine && StaffId() is { } me)
        {
            query = query.Where(r => r.AssigneeId == me);
        }
        var rows = await query.Take(take)
            .Select(r => new { r.Id, r.Number, r.Kind, r.Channel, r.ReceivedOn, r.DueOn, r.Status, r.AssigneeId, Customer = db.Users.Where(a => a.Id == r.AccountId).Select(a => a.UserName).FirstOrDefault() })
            .ToListAsync(cancellationToken);
        var names = await NamesAsync(rows.Where(r => r.AssigneeId is not null).Select(r => r.AssigneeId!.Value), cancellationToken);
        return [.. rows.Select(r => new DeskRow(
            r.Id, r.Number, r.Kind, r.Channel, r.ReceivedOn, r.DueOn, r.Status,
            r.AssigneeId is { } a ? names.GetValueOrDefault(a, "—") : null,
            open ? RequestUrgencies.Of(r.DueOn, today, calendar) : RequestUrgency.Later,
            r.Customer ?? ""))];
    }

    /// <summary>The request with the customer's words and its history opened: an access to personal data, audited.</summary>
    public async Task<DeskRequest?> OpenAsync(long id, CancellationToken cancellationToken)
    {
        // Split: in one query each attachment would come back once per event, with the request's text every time.
        var request = await db.CustomerRequests.AsNoTracking().Include(r => r.Attachments).Include(r => r.Events).AsSplitQuery()
            .SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        var account = request is null ? null : await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == request.AccountId, cancellationToken);
        if (request is null || account is null)
        {
            return null;
        }
        var destroyed = account.Status == AccountStatus.Destroyed;
        var customer = destroyed ? null : directory.Open(account);
        var owner = request.AccountId;
        string? Open(string field, byte[]? sealedText) => destroyed || sealedText is null || sealedText.Length == 0 ? null : vault.OpenString(owner, field, sealedText);

        var people = request.Events.Select(e => e.ActorId).Concat(request.Events.Select(e => e.AssigneeId))
            .Append(request.AssigneeId).Append(request.EnteredBy).OfType<Guid>();
        var names = await NamesAsync(people, cancellationToken);
        var events = request.Events.OrderBy(e => e.Id).Select(e => new DeskEvent(
            e.At, e.Type, e.ActorId is { } actor ? names.GetValueOrDefault(actor, "—") : "",
            e.Visible, Open(RequestEvent.TextField(request.Number, e.TextKey), e.SealedText),
            e.AssigneeId is { } a ? names.GetValueOrDefault(a, "—") : null,
            e.FromKind, e.ToKind, e.DueBefore, e.DueAfter)).ToList();
        var attachments = request.Attachments.OrderBy(a => a.Id)
            .Select(a => new RequestFile(a.Id, Open(RequestAttachment.NameField(a.StorageName), a.SealedName) ?? "—", a.ContentType, a.Size))
            .ToList();
        var breaches = await db.BreachRequests.AsNoTracking().Where(l => l.RequestId == request.Id)
            .Join(db.Breaches, l => l.BreachId, b => b.Id, (l, b) => new LinkedBreach(b.Id, b.Number))
            .ToListAsync(cancellationToken);
        var calendar = await calendars.CurrentAsync(cancellationToken);
        var today = WorkingCalendar.AlmatyDate(clock.GetUtcNow());
        audit.Record("request.opened-by-staff", request.AccountId, outcome: request.Number);
        await db.SaveChangesAsync(cancellationToken);
        return new DeskRequest(
            request,
            account.UserName ?? "",
            customer is null ? "" : $"{customer.FirstName} {customer.LastName}",
            account.PreferredLanguage,
            Open(CustomerRequest.TextField(request.Number), request.SealedText) ?? "",
            Open(CustomerRequest.AnswerField(request.Number), request.SealedAnswer),
            attachments,
            events,
            request.IsOpen ? RequestUrgencies.Of(request.DueOn, today, calendar) : RequestUrgency.Later,
            request.AssigneeId is { } assignee ? names.GetValueOrDefault(assignee, "—") : null,
            request.EnteredBy is { } by ? names.GetValueOrDefault(by, "—") : null,
            breaches);
    }

    /// <summary>A file of a request, for staff (audited), or null.</summary>
    public async Task<(RequestFile File, byte[] Bytes)?> OpenFileAsync(long requestId, long fileId, CancellationToken cancellationToken)
    {
        var request = await db.CustomerRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        var file = request is null ? null : await db.RequestAttachments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == fileId && a.RequestId == requestId, cancellationToken);
        var sealedBytes = file is null ? null : await files.GetAsync(file.StorageName, cancellationToken);
        if (request is null || file is null || sealedBytes is null)
        {
            return null;
        }
        var bytes = vault.Open(request.AccountId, RequestAttachment.BytesField(file.StorageName), sealedBytes);
        var name = vault.OpenString(request.AccountId, RequestAttachment.NameField(file.StorageName), file.SealedName);
        audit.Record("request.file-opened-by-staff", request.AccountId, outcome: string.Create(CultureInfo.InvariantCulture, $"{request.Number}:{fileId}"));
        await db.SaveChangesAsync(cancellationToken);
        return (new RequestFile(file.Id, name, file.ContentType, file.Size), bytes);
    }

    /// <summary>The active members of staff who handle requests (Support, PrivacyOfficer), by name.</summary>
    public async Task<List<Assignable>> AssignableAsync(CancellationToken cancellationToken)
    {
        var roleIds = await db.Roles.Where(r => r.Name == StaffRoles.Support || r.Name == StaffRoles.PrivacyOfficer).Select(r => r.Id).ToListAsync(cancellationToken);
        var staff = await db.Users.AsNoTracking()
            .Where(a => a.Kind == AccountKind.Staff && a.Status == AccountStatus.Active && db.UserRoles.Any(ur => ur.UserId == a.Id && roleIds.Contains(ur.RoleId)))
            .ToListAsync(cancellationToken);
        return [.. staff.Select(a => { var p = directory.Open(a); return new Assignable(a.Id, $"{p.FirstName} {p.LastName}"); }).OrderBy(a => a.Name, StringComparer.CurrentCulture)];
    }

    public async Task<DeskResult> AssignAsync(long id, int version, Guid assigneeId, CancellationToken cancellationToken)
    {
        if (!(await AssignableAsync(cancellationToken)).Any(a => a.Id == assigneeId))
        {
            return DeskResult.NotAssignable;
        }
        return await StepAsync(id, version, openOnly: true, async (request, _) =>
        {
            request.AssigneeId = assigneeId;
            if (request.Status == RequestStatus.Received)
            {
                request.Status = RequestStatus.InProgress;
            }
            Add(request, RequestEventType.Assigned, visible: false, text: null, e => e.AssigneeId = assigneeId);
            audit.Record("request.assigned", request.AccountId, outcome: request.Number + ":" + assigneeId);
            return await Task.FromResult(DeskResult.Done);
        }, cancellationToken);
    }

    /// <summary>An internal note: staff only, never shown to the customer.</summary>
    public Task<DeskResult> NoteAsync(long id, int version, string? text, CancellationToken cancellationToken) =>
        TextStepAsync(id, version, text, openOnly: false, (request, clean, _) =>
        {
            Add(request, RequestEventType.Note, visible: false, clean);
            audit.Record("request.noted", request.AccountId, outcome: request.Number);
            return Task.FromResult(DeskResult.Done);
        }, cancellationToken);

    /// <summary>
    /// Asks the customer for more, shown in the cabinet where they reply, and told by email. The clock runs on unless
    /// <see cref="RequestOptions.PauseWhileAwaitingCustomer"/>; then it stops today and the days until the reply are added.
    /// </summary>
    public Task<DeskResult> AskCustomerAsync(long id, int version, string? question, CancellationToken cancellationToken) =>
        TextStepAsync(id, version, question, openOnly: true, async (request, clean, ct) =>
        {
            request.Status = RequestStatus.AwaitingCustomer;
            if (options.CurrentValue.PauseWhileAwaitingCustomer && request.PausedOn is null)
            {
                request.PausedOn = WorkingCalendar.AlmatyDate(clock.GetUtcNow());
            }
            Add(request, RequestEventType.AskedCustomer, visible: true, clean);
            audit.Record("request.asked-customer", request.AccountId, outcome: request.Number + (request.PausedOn is null ? "" : ":clock-stopped"));
            await TellAsync(request, (account, profile) => messages.RequestQuestion(account, profile, request), ct);
            return DeskResult.Done;
        }, cancellationToken);

    /// <summary>Moves the due date later by <paramref name="workingDays"/>, for the reason given; the customer is told both.</summary>
    public Task<DeskResult> ExtendAsync(long id, int version, int workingDays, string? reason, CancellationToken cancellationToken)
    {
        if (workingDays < 1 || workingDays > options.CurrentValue.MaxExtensionDays)
        {
            return Task.FromResult(DeskResult.DaysOutOfRange);
        }
        return TextStepAsync(id, version, reason, openOnly: true, async (request, clean, ct) =>
        {
            var calendar = await calendars.CurrentAsync(ct);
            var before = request.DueOn;
            request.DueOn = calendar.AddWorkingDays(before, workingDays);
            Add(request, RequestEventType.Extended, visible: true, clean, e => (e.DueBefore, e.DueAfter) = (before, request.DueOn));
            audit.Record("request.extended", request.AccountId, outcome: string.Create(CultureInfo.InvariantCulture, $"{request.Number}:{before:yyyyMMdd}->{request.DueOn:yyyyMMdd}"));
            await TellAsync(request, (account, profile) => messages.RequestExtended(account, profile, request, clean), ct);
            return DeskResult.Done;
        }, cancellationToken);
    }

    /// <summary>
    /// Gives the request another kind (a complaint that is in substance a statutory request): its term is that
    /// kind's, counted from the original day of receipt, so the due date may come at once or be past already.
    /// </summary>
    public Task<DeskResult> ReclassifyAsync(long id, int version, RequestKind kind, string? reason, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(kind) || !CustomerRequests.StaffKinds.Contains(kind))
        {
            return Task.FromResult(DeskResult.KindUnchanged);
        }
        return TextStepAsync(id, version, reason, openOnly: true, async (request, clean, ct) =>
        {
            if (request.Kind == kind)
            {
                return DeskResult.KindUnchanged;
            }
            var calendar = await calendars.CurrentAsync(ct);
            var (fromKind, before) = (request.Kind, request.DueOn);
            request.Kind = kind;
            request.DueOn = calendar.AddWorkingDays(request.ReceivedOn, options.CurrentValue.DaysFor(kind));
            Add(request, RequestEventType.Reclassified, visible: true, clean, e => (e.FromKind, e.ToKind, e.DueBefore, e.DueAfter) = (fromKind, kind, before, request.DueOn));
            // The kinds and dates before and after are on the event; the trail keeps 64 characters.
            audit.Record("request.reclassified", request.AccountId, outcome: $"{request.Number}:to:{kind}");
            await TellAsync(request, (account, profile) => messages.RequestReclassified(account, profile, request), ct);
            return DeskResult.Done;
        }, cancellationToken);
    }

    /// <summary>The written answer: sealed, shown in the cabinet and sent by email in full. An answered or closed request takes no second one.</summary>
    public Task<DeskResult> AnswerAsync(long id, int version, string? answer, CancellationToken cancellationToken) =>
        TextStepAsync(id, version, answer, openOnly: true, async (request, clean, ct) =>
        {
            var now = clock.GetUtcNow();
            request.SealedAnswer = vault.Seal(request.AccountId, CustomerRequest.AnswerField(request.Number), clean);
            request.AnsweredAt = now;
            request.AnsweredBy = StaffId();
            request.Status = RequestStatus.Answered;
            request.PausedOn = null;
            var onTime = WorkingCalendar.AlmatyDate(now) <= request.DueOn;
            Add(request, RequestEventType.Answered, visible: true, text: null);
            audit.Record("request.answered", request.AccountId, outcome: request.Number + (onTime ? ":on-time" : ":late"));
            await TellAsync(request, (account, profile) => messages.RequestAnswered(account, profile, request, clean), ct);
            return DeskResult.Done;
        }, cancellationToken);

    /// <summary>Closes an answered request (the matter is settled); a closed one stays closed.</summary>
    public Task<DeskResult> CloseAsync(long id, int version, CancellationToken cancellationToken) =>
        StepAsync(id, version, openOnly: false, (request, _) =>
        {
            if (request.Status != RequestStatus.Answered)
            {
                return Task.FromResult(request.Status == RequestStatus.Closed ? DeskResult.NotOpen : DeskResult.NotAnswered);
            }
            request.Status = RequestStatus.Closed;
            request.ClosedAt = clock.GetUtcNow();
            Add(request, RequestEventType.Closed, visible: true, text: null);
            audit.Record("request.closed", request.AccountId, outcome: request.Number);
            return Task.FromResult(DeskResult.Done);
        }, cancellationToken);

    /// <summary>A text step: the text checked as the customer's is (present, within the limit, no control characters).</summary>
    private async Task<DeskResult> TextStepAsync(long id, int version, string? text, bool openOnly, Func<CustomerRequest, string, CancellationToken, Task<DeskResult>> step, CancellationToken cancellationToken)
    {
        var refusal = CustomerRequests.CheckText(text, options.CurrentValue.MaxTextLength, out var clean);
        if (refusal != FilingRefusal.None)
        {
            return refusal switch
            {
                FilingRefusal.TextMissing => DeskResult.TextMissing,
                FilingRefusal.TextTooLong => DeskResult.TextTooLong,
                _ => DeskResult.TextNotAllowed,
            };
        }
        return await StepAsync(id, version, openOnly, (request, ct) => step(request, clean, ct), cancellationToken);
    }

    /// <summary>
    /// Loads the request, refuses when it changed since <paramref name="version"/> or (for <paramref name="openOnly"/>)
    /// is no longer open, runs the step and saves it with a new version; a concurrent save wins and this one fails.
    /// </summary>
    private async Task<DeskResult> StepAsync(long id, int version, bool openOnly, Func<CustomerRequest, CancellationToken, Task<DeskResult>> step, CancellationToken cancellationToken)
    {
        var request = await db.CustomerRequests.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (request is null || !await db.Users.AnyAsync(a => a.Id == request.AccountId && a.Status != AccountStatus.Destroyed, cancellationToken))
        {
            return DeskResult.NotFound;
        }
        if (request.Version != version)
        {
            return DeskResult.Conflict;
        }
        if (openOnly && !request.IsOpen)
        {
            return DeskResult.NotOpen;
        }
        var result = await step(request, cancellationToken);
        if (result != DeskResult.Done)
        {
            db.ChangeTracker.Clear();
            return result;
        }
        request.Version++;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return DeskResult.Conflict;
        }
        return DeskResult.Done;
    }

    private void Add(CustomerRequest request, RequestEventType type, bool visible, string? text, Action<RequestEvent>? more = null)
    {
        var key = Guid.NewGuid();
        var e = new RequestEvent
        {
            RequestId = request.Id,
            At = clock.GetUtcNow(),
            Type = type,
            ActorId = StaffId(),
            Visible = visible,
            TextKey = key,
            SealedText = text is null ? null : vault.Seal(request.AccountId, RequestEvent.TextField(request.Number, key), text),
        };
        more?.Invoke(e);
        db.RequestEvents.Add(e);
    }

    /// <summary>Queues an email to the request's customer, unless they have no confirmed address to send it to.</summary>
    private async Task TellAsync(CustomerRequest request, Action<Account, Profile> send, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == request.AccountId, cancellationToken);
        if (account.Status != AccountStatus.Destroyed)
        {
            send(account, directory.Open(account));
        }
    }

    private Guid? StaffId() =>
        Guid.TryParse(http.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    /// <summary>Names of members of staff by id, through <see cref="Staff.StaffNames"/>.</summary>
    private async Task<Dictionary<Guid, string>> NamesAsync(IEnumerable<Guid> ids, CancellationToken cancellationToken) =>
        (await staffNames.ForAsync(ids.Distinct(), cancellationToken)).ToDictionary(p => Guid.Parse(p.Key), p => p.Value);
}

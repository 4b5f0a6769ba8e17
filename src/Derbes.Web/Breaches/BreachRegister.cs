using System.Globalization;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Disclosures;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Breaches;

/// <summary>The customers an incident reached, chosen by a query instead of a list: everyone registered in a period.</summary>
public sealed record CustomerQuery(DateOnly? RegisteredFrom, DateOnly? RegisteredTo);

/// <summary>An incident as the PrivacyOfficer enters it: either a list of customers or a query, not both.</summary>
public sealed record BreachDraft(
    DateTimeOffset? DetectedAt,
    string? Description,
    BreachCategory Categories,
    string? Measures,
    IReadOnlyList<ListedCustomer> Listed,
    CustomerQuery? Query);

/// <summary>A field that is wrong and the message (a resource key, with its arguments) that says why.</summary>
public sealed record BreachProblem(string Field, string MessageKey, params object[] Arguments);

public enum BreachRefusal
{
    None,
    /// <summary>Lines of the list that name no customer; the result lists their line numbers.</summary>
    UnknownCustomers,
    /// <summary>The query finds no customer.</summary>
    NoCustomers,
}

public sealed record BreachResult(BreachRefusal Refusal, Breach? Breach, IReadOnlyList<string> Lines);

/// <summary>How a change to an incident ended.</summary>
public enum BreachChange
{
    Done,
    NotFound,
    /// <summary>Another officer changed the incident since the page was opened.</summary>
    Conflict,
}

/// <summary>What came of "link a request by its number".</summary>
public enum RequestLink
{
    Linked,
    NotFound,
    UnknownRequest,
    AlreadyLinked,
}

/// <summary>A line of the register with its deadline and status on today's calendar.</summary>
public sealed record BreachRow(Breach Breach, DateOnly Deadline, BreachStatus Status);

/// <summary>A customer of an incident as the staff page shows them: by customer number only.</summary>
public sealed record BreachCustomerRow(Guid AccountId, string Number, DateTimeOffset? NotifiedAt, bool CanBeEmailed);

public sealed record LinkedRequest(long Id, string Number, RequestKind Kind, RequestStatus Status);

public sealed record BreachView(BreachRow Row, List<BreachCustomerRow> Customers, List<LinkedRequest> Requests);

/// <summary>An affected customer as the notice to the authorized body names them (Art. 25: names and phones).</summary>
public sealed record AffectedPerson(string Number, string FirstName, string LastName, string? Phone);

public sealed record BreachNotification(BreachRow Row, List<AffectedPerson> People);

public sealed record CustomerNotice(string? WhatHappened, string? WhatWasDone);

/// <summary>What "notify the affected customers" did: emails sent now, customers told before, customers who cannot be emailed.</summary>
public sealed record NotifyResult(bool TextsMissing, int Sent, int AlreadyNotified, int NotReachable);

/// <summary>
/// The register of personal-data security incidents (Art. 22, 25; KZ-RULES: the authorized body is told within 1
/// working day of detection). The PrivacyOfficer records an incident with the customers it reached (a list or a
/// query, stored as link rows, never as copies of their data), prints the notice for the authorized body (the
/// affected customers' names and phones opened from their sealed profiles, each opening audited), records when it
/// was sent, and emails the customers in their language, each once. Every look and change is audited.
/// </summary>
public sealed class BreachRegister(
    DerbesDb db,
    AccountDirectory directory,
    BlindIndex index,
    AccountMessages messages,
    AuditTrail audit,
    WorkingCalendarProvider calendars,
    TimeProvider clock)
{
    /// <summary>Customers emailed per transaction (each batch holds the audit chain's lock while it writes).</summary>
    public const int NotifyBatch = 200;

    private static readonly TimeSpan Almaty = WorkingCalendar.AlmatyOffset;

    public DateOnly Today => WorkingCalendar.AlmatyDate(clock.GetUtcNow());

    /// <summary>Everything wrong with a draft's fields, before any customer is looked up.</summary>
    public IReadOnlyList<BreachProblem> Check(BreachDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var problems = new List<BreachProblem>();
        CheckMoment(draft.DetectedAt, null, "DetectedAt", problems);
        CheckText(draft.Description, Breach.MaxText, "Description", problems);
        if (draft.Categories == BreachCategory.None || (draft.Categories & ~Breach.Known) != 0)
        {
            problems.Add(new("Categories", "Breaches.CategoriesRequired"));
        }
        CheckText(draft.Measures, Breach.MaxText, "Measures", problems);
        if (draft.Query is { } query)
        {
            if (query.RegisteredFrom is { } from && query.RegisteredTo is { } to && from > to)
            {
                problems.Add(new("RegisteredTo", "Breaches.PeriodInvalid"));
            }
        }
        else if (draft.Listed.Count == 0)
        {
            problems.Add(new("Customers", "Breaches.CustomersRequired"));
        }
        return problems;
    }

    /// <summary>
    /// Finds the draft's customers and records the incident with its number and one link row per customer, in one
    /// transaction with its audit entry; or refuses and says which lines of the list name nobody.
    /// </summary>
    public async Task<BreachResult> RecordAsync(BreachDraft draft, Guid recordedBy, CancellationToken cancellationToken)
    {
        if (Check(draft).Count > 0)
        {
            throw new ArgumentException("The draft has problems; call Check first.", nameof(draft));
        }
        List<Guid> ids;
        if (draft.Query is { } query)
        {
            ids = await FindAsync(query, cancellationToken);
            if (ids.Count == 0)
            {
                return await RefuseAsync(BreachRefusal.NoCustomers, []);
            }
        }
        else
        {
            var (accounts, unknown) = await CustomerList.ResolveAsync(db, index, draft.Listed, cancellationToken);
            if (unknown.Count > 0)
            {
                return await RefuseAsync(BreachRefusal.UnknownCustomers, unknown);
            }
            // A destroyed customer has no data left to be reached.
            ids = [.. accounts.Where(a => a.Status != AccountStatus.Destroyed).Select(a => a.Id)];
            if (ids.Count == 0)
            {
                return await RefuseAsync(BreachRefusal.NoCustomers, []);
            }
        }

        var now = clock.GetUtcNow();
        var year = WorkingCalendar.AlmatyDate(now).Year;
        // Numbers follow each other within a year: read and saved under the audit chain's lock, as requests' are.
        return await db.WithChainLockAsync(async ct =>
        {
            var last = await db.Breaches.Where(b => b.Year == year).MaxAsync(b => (int?)b.Sequence, ct) ?? 0;
            var breach = new Breach
            {
                Number = Breach.FormatNumber(year, last + 1),
                Year = year,
                Sequence = last + 1,
                DetectedAt = draft.DetectedAt!.Value,
                RecordedAt = now,
                RecordedBy = recordedBy,
                Description = Clean(draft.Description),
                Categories = draft.Categories,
                Measures = Clean(draft.Measures),
                AffectedCount = ids.Count,
            };
            db.Breaches.Add(breach);
            await db.SaveChangesAsync(ct);
            db.BreachCustomers.AddRange(ids.Select(id => new BreachCustomer { BreachId = breach.Id, AccountId = id }));
            audit.Record("breach.recorded", breach.Number, outcome: string.Create(CultureInfo.InvariantCulture,
                $"customers:{ids.Count} categories:{(int)breach.Categories}{(draft.Query is null ? "" : " query")}"));
            await db.SaveChangesAsync(ct);
            return new BreachResult(BreachRefusal.None, breach, []);
        }, cancellationToken);
    }

    /// <summary>The register: overdue first, then the others still to be notified by deadline, then the notified, newest first.</summary>
    public async Task<List<BreachRow>> ListAsync(CancellationToken cancellationToken)
    {
        var breaches = await db.Breaches.AsNoTracking().ToListAsync(cancellationToken);
        var calendar = await calendars.CurrentAsync(cancellationToken);
        var today = Today;
        var rows = breaches.Select(b => Row(b, calendar, today))
            .OrderBy(r => r.Status switch { BreachStatus.Overdue => 0, BreachStatus.Pending => 1, _ => 2 })
            .ThenBy(r => r.Status is BreachStatus.Overdue or BreachStatus.Pending ? r.Deadline.DayNumber : 0)
            .ThenByDescending(r => r.Breach.DetectedAt.UtcTicks)
            .ThenByDescending(r => r.Breach.Id)
            .ToList();
        audit.Record("breach.listed", "-", outcome: "rows:" + rows.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return rows;
    }

    /// <summary>One incident with its customers (by number) and linked requests; the look is audited.</summary>
    public async Task<BreachView?> FindAsync(long id, CancellationToken cancellationToken)
    {
        var breach = await db.Breaches.AsNoTracking().Include(b => b.Texts).SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return null;
        }
        var customers = await (
            from c in db.BreachCustomers.AsNoTracking()
            join a in db.Users.AsNoTracking() on c.AccountId equals a.Id
            where c.BreachId == id
            orderby a.UserName
            select new BreachCustomerRow(a.Id, a.UserName ?? "", c.NotifiedAt, a.Status != AccountStatus.Destroyed && a.EmailConfirmed)).ToListAsync(cancellationToken);
        var requests = await (
            from l in db.BreachRequests.AsNoTracking()
            join r in db.CustomerRequests.AsNoTracking() on l.RequestId equals r.Id
            where l.BreachId == id
            orderby r.Number
            select new LinkedRequest(r.Id, r.Number, r.Kind, r.Status)).ToListAsync(cancellationToken);
        audit.Record("breach.viewed", breach.Number, outcome: "customers:" + customers.Count.ToString(CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return new BreachView(Row(breach, await calendars.CurrentAsync(cancellationToken), Today), customers, requests);
    }

    /// <summary>
    /// The notice for the authorized body: the incident and the affected customers' names and phones, opened from
    /// their sealed profiles. Each customer opened is an access to their personal data, audited with them as subject.
    /// </summary>
    public async Task<BreachNotification?> NotificationAsync(long id, string language, CancellationToken cancellationToken)
    {
        var breach = await db.Breaches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return null;
        }
        var accounts = await (
            from c in db.BreachCustomers.AsNoTracking()
            join a in db.Users.AsNoTracking() on c.AccountId equals a.Id
            where c.BreachId == id && a.Status != AccountStatus.Destroyed
            orderby a.UserName
            select a).ToListAsync(cancellationToken);
        var people = new List<AffectedPerson>(accounts.Count);
        foreach (var account in accounts)
        {
            var profile = directory.Open(account);
            people.Add(new AffectedPerson(account.UserName ?? "", profile.FirstName, profile.LastName, profile.Phone));
            audit.Record("breach.notification-opened", account.Id, outcome: breach.Number);
        }
        audit.Record("breach.notification-viewed", breach.Number, outcome: string.Create(CultureInfo.InvariantCulture, $"customers:{people.Count} lang:{language}"));
        await db.SaveChangesAsync(cancellationToken);
        return new BreachNotification(Row(breach, await calendars.CurrentAsync(cancellationToken), Today), people);
    }

    /// <summary>Problems with the measures as typed.</summary>
    public static IReadOnlyList<BreachProblem> CheckMeasures(string? measures)
    {
        var problems = new List<BreachProblem>();
        CheckText(measures, Breach.MaxText, "Measures", problems);
        return problems;
    }

    /// <summary>Replaces the measures taken (more is done as an incident goes on); audited.</summary>
    public Task<BreachChange> ChangeMeasuresAsync(long id, int version, string? measures, Guid by, CancellationToken cancellationToken) =>
        ChangeAsync(id, version, breach =>
        {
            breach.Measures = Clean(measures);
            breach.MeasuresChangedAt = clock.GetUtcNow();
            breach.MeasuresChangedBy = by;
            audit.Record("breach.measures-changed", breach.Number, outcome: "chars:" + breach.Measures.Length.ToString(CultureInfo.InvariantCulture));
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Problems with a record of the notice's sending.</summary>
    public IReadOnlyList<BreachProblem> CheckSending(DateTimeOffset detectedAt, DateTimeOffset? sentAt, string? channel, string? reference)
    {
        var problems = new List<BreachProblem>();
        CheckMoment(sentAt, detectedAt, "SentAt", problems);
        CheckLine(channel, Breach.MaxChannel, "Channel", problems);
        CheckLine(reference, Breach.MaxReference, "Reference", problems);
        return problems;
    }

    /// <summary>Records when, how and under which reference the notice was sent to the authorized body; a correction is audited as one.</summary>
    public Task<BreachChange> RecordSendingAsync(long id, int version, DateTimeOffset sentAt, string channel, string reference, Guid by, CancellationToken cancellationToken) =>
        ChangeAsync(id, version, async breach =>
        {
            var corrected = breach.NotifiedAt is not null;
            breach.NotifiedAt = sentAt;
            breach.NotificationChannel = Clean(channel);
            breach.NotificationReference = Clean(reference);
            breach.NotificationRecordedBy = by;
            var deadline = breach.DeadlineOn(await calendars.CurrentAsync(cancellationToken));
            audit.Record(corrected ? "breach.notification-corrected" : "breach.notification-sent", breach.Number, outcome: string.Create(CultureInfo.InvariantCulture,
                $"on:{WorkingCalendar.AlmatyDate(sentAt):yyyy-MM-dd} due:{deadline:yyyy-MM-dd}{(WorkingCalendar.AlmatyDate(sentAt) > deadline ? " late" : "")}"));
        }, cancellationToken);

    /// <summary>
    /// Problems with the texts for customers: Kazakh and Russian required (both parts), English optional (both parts
    /// or neither). The field names are the language and the part, as "kk.WhatHappened".
    /// </summary>
    public static IReadOnlyList<BreachProblem> CheckNoticeTexts(IReadOnlyDictionary<string, CustomerNotice> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var problems = new List<BreachProblem>();
        foreach (var language in Languages.All)
        {
            var text = texts.GetValueOrDefault(language) ?? new CustomerNotice(null, null);
            var empty = string.IsNullOrWhiteSpace(text.WhatHappened) && string.IsNullOrWhiteSpace(text.WhatWasDone);
            if (language == Languages.English && empty)
            {
                continue;
            }
            CheckText(text.WhatHappened, Breach.MaxCustomerText, language + ".WhatHappened", problems);
            CheckText(text.WhatWasDone, Breach.MaxCustomerText, language + ".WhatWasDone", problems);
        }
        return problems;
    }

    /// <summary>Saves what the customers will be told, per language; audited.</summary>
    public Task<BreachChange> SaveNoticeTextsAsync(long id, int version, IReadOnlyDictionary<string, CustomerNotice> texts, CancellationToken cancellationToken) =>
        ChangeAsync(id, version, async breach =>
        {
            await db.Entry(breach).Collection(b => b.Texts).LoadAsync(cancellationToken);
            foreach (var language in Languages.All)
            {
                var typed = texts.GetValueOrDefault(language);
                var stored = breach.Text(language);
                if (typed is null || string.IsNullOrWhiteSpace(typed.WhatHappened))
                {
                    if (stored is not null)
                    {
                        breach.Texts.Remove(stored);
                        db.Remove(stored);
                    }
                    continue;
                }
                if (stored is null)
                {
                    stored = new BreachNoticeText { BreachId = breach.Id, Language = language };
                    breach.Texts.Add(stored);
                }
                stored.WhatHappened = Clean(typed.WhatHappened);
                stored.WhatWasDone = Clean(typed.WhatWasDone);
            }
            audit.Record("breach.notice-texts-changed", breach.Number, outcome: "languages:" + string.Join(',', breach.Texts.Select(t => t.Language).Order(StringComparer.Ordinal)));
        }, cancellationToken);

    /// <summary>
    /// Emails every affected customer not yet told, in their language: what happened, which kinds of their data, what
    /// was done, whom to ask. Only to a confirmed address of an account that is not destroyed. Each customer is marked
    /// as told in the same transaction as their email, under the audit chain's lock, so a second click (or two
    /// officers at once) sends nothing twice.
    /// </summary>
    public async Task<NotifyResult?> NotifyCustomersAsync(long id, CancellationToken cancellationToken)
    {
        var breach = await db.Breaches.AsNoTracking().Include(b => b.Texts).SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return null;
        }
        if (breach.Text(Languages.Kazakh) is null || breach.Text(Languages.Russian) is null)
        {
            return new NotifyResult(true, 0, 0, 0);
        }
        var sent = 0;
        while (true)
        {
            var batch = await db.WithChainLockAsync(async ct =>
            {
                var due = await (
                    from c in db.BreachCustomers
                    join a in db.Users on c.AccountId equals a.Id
                    where c.BreachId == id && c.NotifiedAt == null && a.Status != AccountStatus.Destroyed && a.EmailConfirmed
                    orderby c.AccountId
                    select new { Link = c, Account = a }).Take(NotifyBatch).ToListAsync(ct);
                if (due.Count == 0)
                {
                    return 0;
                }
                var ids = due.Select(d => d.Account.Id).ToList();
                var withDocuments = (await db.Documents.Where(d => ids.Contains(d.AccountId)).Select(d => d.AccountId).Distinct().ToListAsync(ct)).ToHashSet();
                var withRequests = (await db.CustomerRequests.Where(r => ids.Contains(r.AccountId)).Select(r => r.AccountId).Distinct().ToListAsync(ct)).ToHashSet();
                var now = clock.GetUtcNow();
                foreach (var d in due)
                {
                    var text = TextFor(breach, d.Account.PreferredLanguage);
                    var categories = Theirs(breach.Categories, d.Account.SealedPhone is not null, withDocuments.Contains(d.Account.Id), withRequests.Contains(d.Account.Id));
                    messages.BreachNotice(d.Account, directory.Open(d.Account), breach.Number, breach.DetectedOn, text.WhatHappened, text.WhatWasDone, [.. Breach.Each(categories).Select(c => "BreachCategory." + c)]);
                    d.Link.NotifiedAt = now;
                    audit.Record("breach.customer-notified", d.Account.Id, outcome: breach.Number);
                }
                await db.SaveChangesAsync(ct);
                return due.Count;
            }, cancellationToken);
            db.ChangeTracker.Clear();
            if (batch == 0)
            {
                break;
            }
            sent += batch;
        }
        var counts = await (
            from c in db.BreachCustomers.AsNoTracking()
            join a in db.Users.AsNoTracking() on c.AccountId equals a.Id
            where c.BreachId == id
            select new { Told = c.NotifiedAt != null }).ToListAsync(cancellationToken);
        var told = counts.Count(c => c.Told);
        var result = new NotifyResult(false, sent, told - sent, counts.Count - told);
        audit.Record("breach.customers-notified", breach.Number, outcome: string.Create(CultureInfo.InvariantCulture,
            $"sent:{result.Sent} before:{result.AlreadyNotified} unreachable:{result.NotReachable}"));
        await db.SaveChangesAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// Links a customer's request (a complaint about the breach, say) by its number, typed as the customer quotes it.
    /// Only an exact number links: SMALL-2025-000001 is not SMALL-2026-000001.
    /// </summary>
    public async Task<RequestLink> LinkRequestAsync(long id, string? typed, Guid by, CancellationToken cancellationToken)
    {
        var breach = await db.Breaches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return RequestLink.NotFound;
        }
        var number = (typed ?? "").Trim().ToUpperInvariant();
        var request = number.Length is 0 or > CustomerRequest.MaxNumber
            ? null
            : await db.CustomerRequests.AsNoTracking().Where(r => r.Number == number).Select(r => new { r.Id, r.Number }).SingleOrDefaultAsync(cancellationToken);
        if (request is null)
        {
            return RequestLink.UnknownRequest;
        }
        if (await db.BreachRequests.AnyAsync(l => l.BreachId == id && l.RequestId == request.Id, cancellationToken))
        {
            return RequestLink.AlreadyLinked;
        }
        db.BreachRequests.Add(new BreachRequest { BreachId = id, RequestId = request.Id, LinkedAt = clock.GetUtcNow(), LinkedBy = by });
        audit.Record("breach.request-linked", breach.Number, outcome: request.Number);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another officer linked it in the same moment.
            db.ChangeTracker.Clear();
            return RequestLink.AlreadyLinked;
        }
        return RequestLink.Linked;
    }

    public async Task<bool> UnlinkRequestAsync(long id, long requestId, CancellationToken cancellationToken)
    {
        var breach = await db.Breaches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        var number = await db.CustomerRequests.AsNoTracking().Where(r => r.Id == requestId).Select(r => r.Number).SingleOrDefaultAsync(cancellationToken);
        if (breach is null || number is null)
        {
            return false;
        }
        var removed = await db.BreachRequests.Where(l => l.BreachId == id && l.RequestId == requestId).ExecuteDeleteAsync(cancellationToken);
        if (removed > 0)
        {
            audit.Record("breach.request-unlinked", breach.Number, outcome: number);
            await db.SaveChangesAsync(cancellationToken);
        }
        return removed > 0;
    }

    /// <summary>A time as staff type it in Asia/Almaty (a datetime-local field), as the UTC instant it names (PostgreSQL stores UTC only).</summary>
    public static DateTimeOffset? FromAlmaty(DateTime? local) =>
        local is { } l ? new DateTimeOffset(DateTime.SpecifyKind(l, DateTimeKind.Unspecified), Almaty).ToUniversalTime() : null;

    private static BreachRow Row(Breach breach, WorkingCalendar calendar, DateOnly today)
    {
        var deadline = breach.DeadlineOn(calendar);
        return new BreachRow(breach, deadline, breach.StatusOn(today, deadline));
    }

    /// <summary>The incident's categories that can concern this customer: no phone, no documents or no requests means none reached.</summary>
    private static BreachCategory Theirs(BreachCategory categories, bool phone, bool documents, bool requests)
    {
        var theirs = categories;
        if (!phone)
        {
            theirs &= ~BreachCategory.Phone;
        }
        if (!documents)
        {
            theirs &= ~BreachCategory.Documents;
        }
        if (!requests)
        {
            theirs &= ~BreachCategory.Requests;
        }
        // Listed by the officer all the same: tell them what the incident reached rather than nothing.
        return theirs == BreachCategory.None ? categories : theirs;
    }

    /// <summary>The customer's language; English falls back to Russian when no English text was written.</summary>
    private static BreachNoticeText TextFor(Breach breach, string language) =>
        breach.Text(language)
        ?? (language == Languages.English ? breach.Text(Languages.Russian) : null)
        ?? breach.Text(Languages.Kazakh)!;

    private async Task<List<Guid>> FindAsync(CustomerQuery query, CancellationToken cancellationToken)
    {
        var customers = db.Users.AsNoTracking().Where(a => a.Kind == AccountKind.Customer && a.Status != AccountStatus.Destroyed);
        if (query.RegisteredFrom is { } from)
        {
            var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), Almaty).ToUniversalTime();
            customers = customers.Where(a => a.CreatedAt >= start);
        }
        if (query.RegisteredTo is { } to)
        {
            var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), Almaty).ToUniversalTime();
            customers = customers.Where(a => a.CreatedAt < end);
        }
        return await customers.Select(a => a.Id).ToListAsync(cancellationToken);
    }

    private async Task<BreachChange> ChangeAsync(long id, int version, Func<Breach, Task> change, CancellationToken cancellationToken)
    {
        var breach = await db.Breaches.SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return BreachChange.NotFound;
        }
        // The version the officer's page showed: a change made by someone else since then fails this one.
        db.Entry(breach).Property(b => b.Version).OriginalValue = version;
        breach.Version = version + 1;
        await change(breach);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return BreachChange.Done;
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return BreachChange.Conflict;
        }
    }

    private async Task<BreachResult> RefuseAsync(BreachRefusal refusal, List<string> lines)
    {
        audit.Record("breach.refused", "-", outcome: string.Create(CultureInfo.InvariantCulture, $"{refusal} count:{lines.Count}"));
        await db.SaveChangesAsync();
        return new BreachResult(refusal, null, lines);
    }

    /// <summary>A moment typed by staff: required, not in the future, not before 2000, and not before <paramref name="notBefore"/>.</summary>
    private void CheckMoment(DateTimeOffset? at, DateTimeOffset? notBefore, string field, List<BreachProblem> problems)
    {
        if (at is not { } moment)
        {
            problems.Add(new(field, "Breaches.MomentRequired"));
        }
        else if (moment > clock.GetUtcNow() || moment.Year < 2000)
        {
            problems.Add(new(field, "Breaches.MomentInFuture"));
        }
        else if (notBefore is { } earliest && moment < earliest.AddSeconds(-earliest.Second))
        {
            problems.Add(new(field, "Breaches.SentBeforeDetected"));
        }
    }

    /// <summary>A text of several lines: present, within the limit (a CR LF counts as one), without control characters.</summary>
    private static void CheckText(string? typed, int max, string field, List<BreachProblem> problems)
    {
        var clean = Clean(typed);
        if (clean.Length == 0)
        {
            problems.Add(new(field, "Validation.Required"));
        }
        else if (clean.Length > max)
        {
            problems.Add(new(field, "Breaches.TextTooLong", max));
        }
        else if (clean.Any(c => char.IsControl(c) && c is not '\n' and not '\t'))
        {
            problems.Add(new(field, "Breaches.TextNotAllowed"));
        }
    }

    /// <summary>A one-line text: as <see cref="CheckText"/>, and no line break.</summary>
    private static void CheckLine(string? typed, int max, string field, List<BreachProblem> problems)
    {
        CheckText(typed, max, field, problems);
        if (problems.All(p => p.Field != field) && Clean(typed).Contains('\n', StringComparison.Ordinal))
        {
            problems.Add(new(field, "Breaches.TextNotAllowed"));
        }
    }

    private static string Clean(string? typed) => (typed ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
}

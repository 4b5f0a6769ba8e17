using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Derbes.Web.Tests.Requests;

/// <summary>
/// The daily digest of open requests to the Privacy Officers and the escalation of overdue ones to the
/// Administrators (issue 7): at the digest time on working days only (the Kazakhstan calendar: not on a weekend,
/// Nauryz or a transfer day off, yes on a transfer working Saturday), exactly once a day across instances and
/// restarts, caught up the same day by an instance that was down, grouped on the working-day calendar (on the
/// Friday before Nauryz "within 3 working days" reaches past it), in each recipient's language, and naming no customer.
/// </summary>
public sealed class RequestDigestTests
{
    /// <summary>A time in Almaty, as the clock gives it: in UTC (PostgreSQL stores only UTC offsets).</summary>
    private static DateTimeOffset Almaty(int month, int day, int hour, int minute = 0) => new DateTimeOffset(2026, month, day, hour, minute, 0, WorkingCalendar.AlmatyOffset).ToUniversalTime();

    private static string Date(int month, int day) => $"{day:D2}.{month:D2}.2026";

    private static Task<IReadOnlyList<DigestRun>> SendDueAsync(DerbesApp app) => app.Service<RequestDigest>().SendDueAsync(CancellationToken.None);

    private static Task<List<DigestRun>> RunsAsync(DerbesApp app) =>
        app.WithDbAsync(db => db.DigestRuns.AsNoTracking().OrderBy(r => r.Day).ThenBy(r => r.Kind).ToListAsync());

    /// <summary>
    /// The runs, once there are at least <paramref name="count"/> (at most 10 s): the job records a day's digest and its
    /// escalation in two transactions, one after the other, so the digest's email can arrive before the escalation is in.
    /// </summary>
    private static async Task<List<DigestRun>> RunsOnceAsync(DerbesApp app, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var runs = await RunsAsync(app);
        while (runs.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            runs = await RunsAsync(app);
        }
        return runs;
    }

    private static async Task<(NewCustomer Customer, Guid Id)> CustomerAsync(DerbesApp app)
    {
        using var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        return (customer, await app.AccountIdAsync(customer.Email));
    }

    /// <summary>A member of staff with <paramref name="roles"/>, reading emails in <paramref name="language"/>.</summary>
    private static async Task<StaffLogin> StaffAsync(DerbesApp app, string language, params string[] roles)
    {
        var staff = await StaffJourneys.CreateAsync(app, roles);
        await app.WithDbAsync(db => db.Users.Where(a => a.Id == staff.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.PreferredLanguage, language)));
        return staff;
    }

    /// <summary>Files a request through the service as the cabinet does, then makes its case: due date, status, assignee.</summary>
    private static async Task<CustomerRequest> FileAsync(DerbesApp app, Guid accountId, RequestKind kind, string text, DateOnly dueOn, RequestStatus status = RequestStatus.Received, Guid? assignee = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var filed = await scope.ServiceProvider.GetRequiredService<CustomerRequests>().FileAsync(accountId, kind, text, null, RequestChannel.Cabinet, CancellationToken.None);
        Assert.True(filed.Filed);
        var db = scope.ServiceProvider.GetRequiredService<Derbes.Web.Data.DerbesDb>();
        var request = await db.CustomerRequests.SingleAsync(r => r.Id == filed.Request!.Id);
        request.DueOn = dueOn;
        request.Status = status;
        request.AssigneeId = assignee;
        await db.SaveChangesAsync();
        return request;
    }

    private static async Task AddFactAsync(DerbesApp app, DateOnly date, CalendarFactKind kind, string note)
    {
        await app.WithDbAsync(async db =>
        {
            db.CalendarFacts.Add(new CalendarFact { Date = date, Kind = kind, Note = note, ChangedAt = app.Clock.GetUtcNow() });
            return await db.SaveChangesAsync();
        });
        app.Service<WorkingCalendarProvider>().Invalidate();
    }

    /// <summary>What was written to the customer's mailbox is theirs; what went to staff must not name them.</summary>
    private static void NamesNoCustomer(MimeMessage mail, NewCustomer customer)
    {
        foreach (var part in new[] { mail.Subject, mail.TextBody, mail.HtmlBody })
        {
            foreach (var personal in new[] { customer.FirstName, customer.LastName, customer.Email, customer.PhoneE164, customer.PhoneE164[1..], customer.PhoneTyped })
            {
                Assert.DoesNotContain(personal, part, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>The text of the group under <paramref name="heading"/>, up to the next blank line.</summary>
    private static string Group(MimeMessage mail, string heading)
    {
        var text = (mail.TextBody ?? "").ReplaceLineEndings("\n");
        var start = text.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no group '{heading}' in:\n{text}");
        var end = text.IndexOf("\n\n", start, StringComparison.Ordinal);
        return text[start..end];
    }

    private static string Link(CustomerRequest request) => $"{DerbesApp.PublicUrl}/admin/requests/{request.Id}";

    [Fact]
    public async Task AtNineOnTheFridayBeforeNauryzEachOfficerGetsOneDigestInTheirLanguageAndTheAdministratorTheOverdueOnes()
    {
        using var app = new DerbesApp(startAt: Almaty(3, 20, 8, 0));
        var officer = await StaffAsync(app, "ru", StaffRoles.PrivacyOfficer);
        var officerKk = await StaffAsync(app, "kk", StaffRoles.PrivacyOfficer, StaffRoles.Support);
        var former = await StaffAsync(app, "kk", StaffRoles.PrivacyOfficer);
        await app.WithDbAsync(db => db.Users.Where(a => a.Id == former.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AccountStatus.Blocked)));
        var support = await StaffAsync(app, "kk", StaffRoles.Support);
        var admin = await StaffAsync(app, "en", StaffRoles.Administrator);
        var (customer, customerId) = await CustomerAsync(app);
        var text = $"{customer.FirstName} {customer.LastName}, {customer.Email}, {customer.PhoneE164}";

        // Friday 20 March 2026. Overdue by 1 and by 5 working days; due today; due Thursday 26 March, which is the
        // first of the next 3 working days (Mon 23 Nauryz, Tue 24 and Wed 25 its substitutes are off); due Tuesday
        // 31 March, later than that; and one past its date but answered.
        var overdue1 = await FileAsync(app, customerId, RequestKind.Rectification, text, new DateOnly(2026, 3, 19), RequestStatus.InProgress, assignee: officer.Id);
        var overdue5 = await FileAsync(app, customerId, RequestKind.Complaint, text, new DateOnly(2026, 3, 13));
        var today = await FileAsync(app, customerId, RequestKind.Information, text, new DateOnly(2026, 3, 20));
        var soon = await FileAsync(app, customerId, RequestKind.ConsentWithdrawal, text, new DateOnly(2026, 3, 26));
        var later = await FileAsync(app, customerId, RequestKind.Complaint, text, new DateOnly(2026, 3, 31));
        var answered = await FileAsync(app, customerId, RequestKind.Blocking, text, new DateOnly(2026, 3, 18), RequestStatus.Answered);

        // 08:59: not yet.
        app.Clock.SetUtcNow(Almaty(3, 20, 8, 59));
        Assert.Empty(await SendDueAsync(app));
        Assert.Empty(await RunsAsync(app));

        // 09:00: the job (on its own timer) or this call sends it; either way once.
        app.Clock.SetUtcNow(Almaty(3, 20, 9, 0));
        await SendDueAsync(app);
        var runs = await RunsAsync(app);
        Assert.Equal(2, runs.Count);
        var digestRun = runs.Single(r => r.Kind == DigestKind.Digest);
        Assert.Equal((new DateOnly(2026, 3, 20), 2, 2, 1, 1), (digestRun.Day, digestRun.Recipients, digestRun.Overdue, digestRun.DueToday, digestRun.DueSoon));
        var escalationRun = runs.Single(r => r.Kind == DigestKind.Escalation);
        Assert.Equal((1, 2), (escalationRun.Recipients, escalationRun.Overdue));

        // The Russian-speaking officer's digest: the three groups, each item with its kind, due date, whether it is
        // assigned and its link to the staff area; nothing due later, nothing answered.
        var ru = await app.Mail.WaitForAsync(officer.Email, app.TextIn("ru", "Email.RequestDigest.Subject", "SMALL", Date(3, 20), 2, 1, 1));
        Assert.Contains(app.TextIn("ru", "Email.RequestDigest.Body", Date(3, 20), 2, 1, 1), ru.TextBody, StringComparison.Ordinal);
        string Line(string language, CustomerRequest r, bool assigned) =>
            app.TextIn(language, "Email.RequestDigest.Line", r.Number, app.TextIn(language, "RequestKind." + r.Kind), r.DueOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture),
                app.TextIn(language, assigned ? "Email.RequestDigest.Assigned" : "Email.RequestDigest.Unassigned"));
        var overdueGroup = Group(ru, app.TextIn("ru", "Email.RequestDigest.Overdue", 2));
        // Oldest first.
        Assert.Contains($"- {Line("ru", overdue5, false)}\n  {Link(overdue5)}\n- {Line("ru", overdue1, true)}\n  {Link(overdue1)}", overdueGroup, StringComparison.Ordinal);
        var todayGroup = Group(ru, app.TextIn("ru", "Email.RequestDigest.Today", 1));
        Assert.Contains($"- {Line("ru", today, false)}\n  {Link(today)}", todayGroup, StringComparison.Ordinal);
        var soonGroup = Group(ru, app.TextIn("ru", "Email.RequestDigest.Soon", 1));
        Assert.Contains($"- {Line("ru", soon, false)}\n  {Link(soon)}", soonGroup, StringComparison.Ordinal);
        Assert.DoesNotContain(later.Number, ru.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(answered.Number, ru.TextBody, StringComparison.Ordinal);
        Assert.Contains($"href=\"{Link(soon)}\"", ru.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("lang=\"ru\"", ru.HtmlBody, StringComparison.Ordinal);
        NamesNoCustomer(ru, customer);

        var kk = await app.Mail.WaitForAsync(officerKk.Email, app.TextIn("kk", "Email.RequestDigest.Subject", "SMALL", Date(3, 20), 2, 1, 1));
        Assert.Contains(Line("kk", soon, false), Group(kk, app.TextIn("kk", "Email.RequestDigest.Soon", 1)), StringComparison.Ordinal);
        NamesNoCustomer(kk, customer);

        // The Administrator: the overdue ones only, with the working days past due.
        var escalation = await app.Mail.WaitForAsync(admin.Email, app.TextIn("en", "Email.RequestEscalation.Subject", "SMALL", 2, Date(3, 20)));
        Assert.Contains(app.TextIn("en", "Email.RequestEscalation.Line", overdue5.Number, app.TextIn("en", "RequestKind.Complaint"), Date(3, 13), 5, app.TextIn("en", "Email.RequestDigest.Unassigned")), escalation.TextBody, StringComparison.Ordinal);
        Assert.Contains(app.TextIn("en", "Email.RequestEscalation.Line", overdue1.Number, app.TextIn("en", "RequestKind.Rectification"), Date(3, 19), 1, app.TextIn("en", "Email.RequestDigest.Assigned")), escalation.TextBody, StringComparison.Ordinal);
        Assert.Contains(Link(overdue1), escalation.TextBody, StringComparison.Ordinal);
        foreach (var notOverdue in new[] { today, soon, later, answered })
        {
            Assert.DoesNotContain(notOverdue.Number, escalation.TextBody, StringComparison.Ordinal);
        }
        NamesNoCustomer(escalation, customer);

        // A second instance starting (a restart at 09:05), and both looking again, send nothing more.
        using (var second = new DerbesApp(shareWith: app))
        {
            Assert.Empty(await SendDueAsync(second));
            app.Clock.SetUtcNow(Almaty(3, 20, 9, 5));
            Assert.Empty(await SendDueAsync(second));
            Assert.Empty(await SendDueAsync(app));
        }
        app.Clock.SetUtcNow(Almaty(3, 20, 23, 59));
        Assert.Empty(await SendDueAsync(app));
        await Task.Delay(700);
        Assert.Single(app.Mail.All(officer.Email));
        Assert.Single(app.Mail.All(officerKk.Email));
        Assert.Single(app.Mail.All(admin.Email));
        // A deactivated officer and a member of staff without the role get nothing.
        Assert.Empty(app.Mail.All(former.Email));
        Assert.Empty(app.Mail.All(support.Email));
        Assert.Equal(2, (await RunsAsync(app)).Count);

        // On the record once each, by the system, with counts only.
        var entries = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action.StartsWith("requests.")).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(
            [("requests.digest-sent", "digest:2026-03-20", "recipients:2 overdue:2 today:1 soon:1", "system"), ("requests.escalation-sent", "escalation:2026-03-20", "recipients:1 overdue:2 today:1 soon:1", "system")],
            entries.Select(e => (e.Action, e.Subject, e.Outcome, e.Actor)).ToList());
    }

    [Fact]
    public async Task WeekendsNauryzAndATransferDayOffGetNoDigestATransferWorkingSaturdayDoes()
    {
        using var app = new DerbesApp(startAt: Almaty(3, 21, 8, 0));
        var officer = await StaffAsync(app, "kk", StaffRoles.PrivacyOfficer);
        var admin = await StaffAsync(app, "kk", StaffRoles.Administrator);
        // A transfer order for the test: Friday 27 March off, worked on Saturday 28 March.
        await AddFactAsync(app, new DateOnly(2026, 3, 27), CalendarFactKind.DayOff, "Test transfer: Fri 27 Mar off for Sat 28 Mar");
        await AddFactAsync(app, new DateOnly(2026, 3, 28), CalendarFactKind.WorkingDay, "Test transfer: Sat 28 Mar worked for Fri 27 Mar");

        // From Saturday 21 to Monday 30 March, at the digest time and late in the evening.
        for (var day = 21; day <= 30; day++)
        {
            app.Clock.SetUtcNow(Almaty(3, day, 9, 0));
            await SendDueAsync(app);
            app.Clock.SetUtcNow(Almaty(3, day, 22, 0));
            await SendDueAsync(app);
        }
        var runs = await RunsAsync(app);
        Assert.Equal([26, 26, 28, 28, 30, 30], runs.Select(r => r.Day.Day));
        Assert.All(runs.Where(r => r.Kind == DigestKind.Digest), r => Assert.Equal((1, 0, 0, 0), (r.Recipients, r.Overdue, r.DueToday, r.DueSoon)));
        // Nothing is overdue: the escalation ran and told nobody.
        Assert.All(runs.Where(r => r.Kind == DigestKind.Escalation), r => Assert.Equal(0, r.Recipients));

        // Each working day's digest says that nothing is due, so the officer knows it runs.
        foreach (var day in new[] { 26, 28, 30 })
        {
            var mail = await app.Mail.WaitForAsync(officer.Email, app.TextIn("kk", "Email.RequestDigest.NothingSubject", "SMALL", Date(3, day)));
            Assert.Contains(app.TextIn("kk", "Email.RequestDigest.Nothing", Date(3, day)), mail.TextBody, StringComparison.Ordinal);
            Assert.Contains(DerbesApp.PublicUrl + "/admin/requests", mail.TextBody, StringComparison.Ordinal);
        }
        await Task.Delay(500);
        Assert.Equal(3, app.Mail.All(officer.Email).Count);
        Assert.Empty(app.Mail.All(admin.Email));
        var audited = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action.StartsWith("requests.")).Select(e => e.Subject).ToListAsync());
        Assert.Equal(["digest:2026-03-26", "digest:2026-03-28", "digest:2026-03-30"], audited);
    }

    [Fact]
    public async Task AnInstanceDownAtTheDigestTimeSendsThatDaysDigestWhenItComesBackAndNeverADayLate()
    {
        var settings = new Dictionary<string, string?> { ["Requests:DigestTime"] = "10:30" };
        using var app = new DerbesApp(settings, startAt: Almaty(3, 26, 7, 0));
        var officer = await StaffAsync(app, "en", StaffRoles.PrivacyOfficer);
        var (_, customerId) = await CustomerAsync(app);
        var overdue = await FileAsync(app, customerId, RequestKind.Destruction, "Delete my data", new DateOnly(2026, 3, 20));

        // The only instance goes down before 10:30 on Thursday 26 March.
        await app.Service<RequestDigest>().StopAsync(CancellationToken.None);
        app.Clock.SetUtcNow(Almaty(3, 26, 14, 0));
        Assert.Empty(app.Mail.All(officer.Email));

        // It comes back at 14:00: the day's digest goes at start, without anyone asking. Due Friday 20 March, the
        // request is one working day late on Thursday 26 March (the weekend and the three Nauryz days do not count).
        using var back = new DerbesApp(settings, shareWith: app);
        _ = back.Server;
        var thursday = await back.Mail.WaitForAsync(officer.Email, back.TextIn("en", "Email.RequestDigest.Subject", "SMALL", Date(3, 26), 1, 0, 0));
        Assert.Contains(overdue.Number, thursday.TextBody, StringComparison.Ordinal);
        Assert.Equal(1, (await RunsOnceAsync(back, 2)).Single(r => r.Kind == DigestKind.Escalation).Overdue);

        // Friday 27 March: nothing before 10:30 (and never Thursday's again); at 10:30 the job sends Friday's on its own timer.
        back.Clock.SetUtcNow(Almaty(3, 27, 10, 29));
        Assert.Empty(await SendDueAsync(back));
        // Let the job's own look at 10:29 finish, so its next wait is counted from 10:29.
        await Task.Delay(300);
        back.Clock.SetUtcNow(Almaty(3, 27, 10, 30));
        var friday = await back.Mail.WaitForAsync(officer.Email, back.TextIn("en", "Email.RequestDigest.Subject", "SMALL", Date(3, 27), 1, 0, 0));
        Assert.Contains(overdue.Number, Group(friday, back.TextIn("en", "Email.RequestDigest.Overdue", 1)), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(2, back.Mail.All(officer.Email).Count);
        Assert.Equal([26, 26, 27, 27], (await RunsOnceAsync(back, 4)).Select(r => r.Day.Day));
    }
}

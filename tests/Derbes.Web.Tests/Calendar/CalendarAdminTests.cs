using System.Globalization;
using System.Net;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Derbes.Web.Tests.Requests;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Calendar;

/// <summary>
/// The working-day calendar at /admin/calendar (issue 7): the PrivacyOfficer sees a year's days off and transfers with
/// their reasons, adds and removes dated facts with a note, each change audited, and the customers' due dates follow.
/// </summary>
public sealed class CalendarAdminTests : IClassFixture<CalendarAdminTests.App>
{
    public sealed class App() : DerbesApp(startAt: CustomerRequestTests.NewYearsEve);

    private readonly App _app;

    public CalendarAdminTests(App app) => _app = app;

    private async Task<DateOnly> RectificationDueAsync(Browser customer)
    {
        var form = await customer.GetAsync("/cabinet/requests/new");
        var filed = await customer.SubmitAsync(form, new Dictionary<string, string> { ["Input.Kind"] = nameof(RequestKind.Rectification), ["Input.Text"] = "Тегімді түзетіңіз" });
        var id = long.Parse(filed.Url.AbsolutePath["/cabinet/requests/".Length..], CultureInfo.InvariantCulture);
        return await _app.WithDbAsync(db => db.CustomerRequests.Where(r => r.Id == id).Select(r => r.DueOn).SingleAsync());
    }

    [Fact]
    public async Task ThePrivacyOfficerEntersATransferAndTheDueDatesFollowItAndEveryChangeIsAudited()
    {
        var officer = await StaffJourneys.CreateAsync(_app, StaffRoles.PrivacyOfficer);
        using var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, officer);
        using var customer = _app.NewBrowser();
        var person = await Journeys.RegisteredAndConfirmedAsync(_app, customer);
        await Journeys.SignInAsync(customer, person.Email, person.Password);

        // This year (in Almaty) by default: the fourteen weekdays off of 2026, each with its reason.
        var home = await browser.GetAsync("/admin");
        Assert.NotNull(home.Document.QuerySelector("a[href='/admin/calendar']"));
        var year = await browser.GetAsync("/admin/calendar");
        Assert.Equal(HttpStatusCode.OK, year.Status);
        Assert.Equal(_app.Text("Calendar.WeekdaysOff", 2026, 14), year.ErrorText("weekdays-off"));
        var kurban = year.Document.QuerySelector("tr[data-date='2026-05-27']")!.TextContent;
        Assert.Contains(_app.Text("CalendarDayKind.KurbanAit", _app.Text("Holiday.KurbanAit")), kurban, StringComparison.Ordinal);
        Assert.Contains("Kurban Ait 2026", kurban, StringComparison.Ordinal);
        var nauryz = year.Document.QuerySelector("tr[data-date='2026-03-24']")!.TextContent;
        Assert.Contains(_app.Text("Holiday.Nauryz"), nauryz, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Calendar.Rule"), nauryz, StringComparison.Ordinal);

        Assert.Equal(new DateOnly(2027, 1, 5), await RectificationDueAsync(customer));

        // A transfer order makes Tuesday 5 January 2027 a day off.
        var next = await browser.GetAsync("/admin/calendar?year=2027");
        var missing = await browser.SubmitAsync(next, new Dictionary<string, string> { ["Input.Date"] = "2027-01-05", ["Input.Kind"] = "DayOff", ["Input.Note"] = " " }, formSelector: "#add-fact");
        Assert.Equal(_app.Text("Validation.Required"), missing.ErrorText("note-error"));
        var added = await browser.SubmitAsync(next, new Dictionary<string, string> { ["Input.Date"] = "2027-01-05", ["Input.Kind"] = "DayOff", ["Input.Note"] = "Приказ № 100 от 1.12.2026" }, formSelector: "#add-fact");
        Assert.Equal("/admin/calendar", added.Url.AbsolutePath);
        Assert.Equal("?year=2027", added.Url.Query);
        Assert.Equal(_app.Text("Calendar.Added"), added.Document.QuerySelector("main .alert.success")?.TextContent.Trim());
        var row = added.Document.QuerySelector("tr[data-date='2027-01-05']")!;
        Assert.Contains(_app.Text("CalendarDayKind.TransferDayOff"), row.TextContent, StringComparison.Ordinal);
        Assert.Contains("Приказ № 100 от 1.12.2026", row.TextContent, StringComparison.Ordinal);
        Assert.Contains(officer.FirstName, row.TextContent, StringComparison.Ordinal);
        var twice = await browser.SubmitAsync(next, new Dictionary<string, string> { ["Input.Date"] = "2027-01-05", ["Input.Kind"] = "WorkingDay", ["Input.Note"] = "again" }, formSelector: "#add-fact");
        Assert.Equal(_app.Text("Calendar.DateTaken"), twice.ErrorText("date-error"));

        // The next request counts with it at once: Wednesday 6 January.
        Assert.Equal(new DateOnly(2027, 1, 6), await RectificationDueAsync(customer));

        // Removed, the day is worked again.
        var removed = await browser.SubmitAsync(added, formSelector: "tr[data-date='2027-01-05'] form");
        Assert.Equal(_app.Text("Calendar.Removed"), removed.Document.QuerySelector("main .alert.success")?.TextContent.Trim());
        Assert.Null(removed.Document.QuerySelector("tr[data-date='2027-01-05']"));
        Assert.Equal(new DateOnly(2027, 1, 5), await RectificationDueAsync(customer));

        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action == "calendar.changed").OrderBy(e => e.Id).Select(e => new { e.Subject, e.Outcome, e.Actor, e.Role }).ToListAsync());
        Assert.Equal(new[] { "added:DayOff", "removed:DayOff" }, audit.Select(a => a.Outcome));
        Assert.All(audit, a =>
        {
            Assert.Equal("calendar:2027-01-05", a.Subject);
            Assert.Equal(officer.Id.ToString(), a.Actor);
            Assert.Equal(StaffRoles.PrivacyOfficer, a.Role);
        });

        // Support may not change the calendar.
        var support = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        using var supportBrowser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, supportBrowser, support);
        Assert.Equal(HttpStatusCode.Forbidden, (await supportBrowser.Client.GetAsync("/admin/calendar")).StatusCode);
    }
}

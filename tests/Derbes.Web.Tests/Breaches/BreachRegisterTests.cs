using System.Net;
using Derbes.Web.Breaches;
using Derbes.Web.Customers;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Breaches;

/// <summary>
/// The breach register (issue 7; Art. 22, 25; KZ-RULES: the authorized body is told within 1 working day of
/// detection): incidents recorded with the customers they reached, the deadline on the working-day calendar, the
/// printable notice naming the responsible person and the affected customers (each opening audited), the customers
/// emailed once each in their language, requests linked by number, and the register kept truthful after a destruction.
/// </summary>
public sealed class BreachRegisterTests : IClassFixture<BreachRegisterTests.App>
{
    /// <summary>Friday 20 March 2026, 10:00 in Almaty: Nauryz (21–23 March and the substitute days 24, 25) is ahead.</summary>
    public static readonly DateTimeOffset FridayBeforeNauryz = new(2026, 3, 20, 5, 0, 0, TimeSpan.Zero);

    public sealed class App() : DerbesApp(new Dictionary<string, string?>
    {
        ["Site:OperatorName"] = "«SMALL» ЖШС",
        ["Site:OperatorBin"] = "123456789012",
        ["Site:ResponsibleName"] = "Гүлнар Әбенова",
        ["Site:ResponsiblePosition"] = "Дербес деректерді қорғау жөніндегі маман",
        ["Site:ResponsibleEmail"] = "dpo@small.kz",
        ["Site:ResponsiblePhone"] = "+77272500500",
    }, startAt: FridayBeforeNauryz);

    private readonly App _app;

    public BreachRegisterTests(App app) => _app = app;

    private async Task<(StaffLogin Officer, Browser Browser)> OfficerAsync()
    {
        var officer = await StaffJourneys.CreateAsync(_app, StaffRoles.PrivacyOfficer);
        var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, officer);
        return (officer, browser);
    }

    private async Task<(NewCustomer Customer, Guid Id)> CustomerAsync(NewCustomer customer)
    {
        using var browser = _app.NewBrowser();
        await Journeys.RegisteredAndConfirmedAsync(_app, browser, customer);
        return (customer, await _app.AccountIdAsync(customer.Email));
    }

    private static Dictionary<string, string> Fields(string customers, string detectedAt = "2026-03-20T09:15") => new()
    {
        ["Input.DetectedAt"] = detectedAt,
        ["Input.Description"] = "Резервная копия базы клиентов оказалась в открытом доступе на сервере подрядчика.",
        ["Input.Categories"] = "Names",
        ["Input.Measures"] = "Доступ к копии закрыт, пароли подрядчика сменены.",
        ["Input.Selection"] = "list",
        ["Input.Customers"] = customers,
    };

    private static async Task<WebPage> RecordAsync(Browser browser, Dictionary<string, string> fields, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var form = await browser.GetAsync("/admin/breaches/new");
        Assert.Equal(HttpStatusCode.OK, form.Status);
        var values = new List<KeyValuePair<string, string>>(fields);
        values.AddRange(extra ?? []);
        // Several values of one name (the categories) are sent as a browser sends checked boxes.
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/breaches/new");
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in values)
        {
            content.Add(new StringContent(value), name);
        }
        content.Add(new StringContent(form.Document.QuerySelector("main form input[name='__af']")!.GetAttribute("value")!), "__af");
        request.Content = content;
        return await browser.SendAsync(request);
    }

    private static AngleSharp.Dom.IElement RowOf(WebPage register, long id) =>
        register.Document.QuerySelectorAll("#breaches tbody tr").Single(r => r.QuerySelector($"a[href='/admin/breaches/{id}']") is not null);

    private static Dictionary<string, string> Without(Dictionary<string, string> fields, string key)
    {
        fields.Remove(key);
        return fields;
    }

    private static long IdOf(WebPage page) => long.Parse(page.Url.AbsolutePath["/admin/breaches/".Length..], System.Globalization.CultureInfo.InvariantCulture);

    private Task<Breach> BreachAsync(long id) => _app.WithDbAsync(db => db.Breaches.AsNoTracking().SingleAsync(b => b.Id == id));

    [Fact]
    public async Task AnIncidentDetectedOnTheFridayBeforeNauryzIsDueOnThe26thAndItsNoticeNamesTheResponsiblePersonAndEachCustomer()
    {
        var (kk, kkId) = await CustomerAsync(Journeys.Someone("kk") with { FirstName = "Дәурен", LastName = "Қасымов" });
        var (ru, ruId) = await CustomerAsync(Journeys.Someone("ru") with { FirstName = "Ольга", LastName = "Ким" });
        var (officer, browser) = await OfficerAsync();
        using var _ = browser;
        Assert.NotNull((await browser.GetAsync("/admin")).Document.QuerySelector("a[href='/admin/breaches']"));

        // One by email, the other by phone as typed.
        var done = await RecordAsync(browser, Fields($"{kk.Email}\n{ru.PhoneTyped}"), [new("Input.Categories", "Phone")]);
        Assert.Matches("^/admin/breaches/[0-9]+$", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Breaches.Recorded"), done.Text, StringComparison.Ordinal);
        var id = IdOf(done);
        var breach = await BreachAsync(id);
        Assert.Matches("^BR-2026-[0-9]{3}$", breach.Number);
        Assert.Equal(BreachCategory.Names | BreachCategory.Phone, breach.Categories);
        Assert.Equal(new DateTimeOffset(2026, 3, 20, 9, 15, 0, TimeSpan.FromHours(5)), breach.DetectedAt);
        Assert.Equal(2, breach.AffectedCount);
        var linked = await _app.WithDbAsync(db => db.BreachCustomers.Where(c => c.BreachId == id).Select(c => c.AccountId).ToListAsync());
        Assert.Equal(new[] { kkId, ruId }.Order(), linked.Order());
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.recorded" && e.Subject == breach.Number && e.Actor == officer.Id.ToString() && e.Outcome.StartsWith("customers:2 "))));

        // 1 working day from Friday 20 March: Saturday to Wednesday are days off (Nauryz and its substitutes).
        Assert.Equal("26.03.2026", done.Document.GetElementById("deadline")!.TextContent.Trim()[..10]);
        var register = await browser.GetAsync("/admin/breaches");
        var row = RowOf(register, id);
        Assert.Equal("26.03.2026", row.QuerySelector(".deadline")!.TextContent.Trim());
        Assert.Equal("Pending", row.GetAttribute("data-status"));
        Assert.Contains(_app.Text("Breaches.Status.Pending"), row.TextContent, StringComparison.Ordinal);

        // The notice for the authorized body, in Russian, then in Kazakh.
        var notice = await browser.GetAsync($"/admin/breaches/{id}/notification?lang=ru");
        Assert.Equal(HttpStatusCode.OK, notice.Status);
        Assert.True(notice.Response.Headers.CacheControl is { NoStore: true, NoCache: true }, $"Cache-Control {notice.Response.Headers.CacheControl}");
        Assert.Contains(_app.TextIn("ru", "Breaches.Document.Title"), notice.Text, StringComparison.Ordinal);
        // The operator and the responsible person are configured: no warning before printing.
        Assert.Null(notice.Document.GetElementById("settings-missing"));
        var responsible = notice.Document.GetElementById("responsible")!.TextContent;
        Assert.Contains("Гүлнар Әбенова", responsible, StringComparison.Ordinal);
        Assert.Contains("Дербес деректерді қорғау жөніндегі маман", responsible, StringComparison.Ordinal);
        Assert.Contains("dpo@small.kz", responsible, StringComparison.Ordinal);
        Assert.Contains("+77272500500", responsible, StringComparison.Ordinal);
        Assert.Contains("123456789012", notice.Document.GetElementById("operator")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("20.03.2026 09:15", notice.Document.GetElementById("incident")!.TextContent, StringComparison.Ordinal);
        var people = notice.Document.GetElementById("people")!.TextContent;
        Assert.Contains("Қасымов Дәурен", people, StringComparison.Ordinal);
        Assert.Contains(kk.PhoneE164, people, StringComparison.Ordinal);
        Assert.Contains("Ким Ольга", people, StringComparison.Ordinal);
        Assert.Contains(ru.PhoneE164, people, StringComparison.Ordinal);
        var kazakh = await browser.GetAsync($"/admin/breaches/{id}/notification?lang=kk");
        Assert.Contains(_app.TextIn("kk", "Breaches.Document.Title"), kazakh.Text, StringComparison.Ordinal);
        Assert.Contains(_app.TextIn("kk", "BreachCategory.Phone"), kazakh.Document.GetElementById("incident")!.TextContent, StringComparison.Ordinal);
        // Each opening of a customer's data is audited with the customer as subject: two views, two each.
        foreach (var customer in new[] { kkId, ruId })
        {
            Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.notification-opened" && e.Subject == customer.ToString() && e.Outcome == breach.Number && e.Actor == officer.Id.ToString())));
        }

        // A week later, still not sent: overdue, and listed before anything not overdue.
        _app.Clock.Advance(TimeSpan.FromDays(7));
        await StaffJourneys.SignInAsync(_app, browser, officer);
        var later = await RecordAsync(browser, Fields(kk.Email, detectedAt: "2026-03-27T09:00"));
        var pendingId = IdOf(later);
        register = await browser.GetAsync("/admin/breaches");
        var statuses = register.Document.QuerySelectorAll("#breaches tbody tr").Select(r => r.GetAttribute("data-status")!).ToList();
        Assert.Equal(statuses.OrderBy(s => s switch { "Overdue" => 0, "Pending" => 1, _ => 2 }), statuses);
        Assert.Equal("Overdue", RowOf(register, id).GetAttribute("data-status"));
        Assert.NotNull(RowOf(register, id).QuerySelector(".badge.overdue"));
        Assert.Equal("Pending", RowOf(register, pendingId).GetAttribute("data-status"));

        // Recording the sending: not before detection, then on 27 March, which is late.
        var page = await browser.GetAsync($"/admin/breaches/{id}");
        var early = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Sending.SentAt"] = "2026-03-20T09:00", ["Sending.Channel"] = "eOtinish", ["Sending.Reference"] = "01-12/345" }, formSelector: "form[action*='handler=sent']");
        Assert.Equal(_app.Text("Breaches.SentBeforeDetected"), early.ErrorText("sent-at-error"));
        var sent = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Sending.SentAt"] = "2026-03-27T09:30", ["Sending.Channel"] = "eOtinish", ["Sending.Reference"] = "01-12/345" }, formSelector: "form[action*='handler=sent']");
        Assert.Contains(_app.Text("Breaches.SendingRecorded"), sent.Text, StringComparison.Ordinal);
        breach = await BreachAsync(id);
        Assert.Equal(new DateTimeOffset(2026, 3, 27, 9, 30, 0, TimeSpan.FromHours(5)), breach.NotifiedAt);
        Assert.Equal("eOtinish", breach.NotificationChannel);
        Assert.Equal("01-12/345", breach.NotificationReference);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.notification-sent" && e.Subject == breach.Number && e.Outcome == "on:2026-03-27 due:2026-03-26 late")));
        register = await browser.GetAsync("/admin/breaches");
        row = RowOf(register, id);
        Assert.Equal("NotifiedLate", row.GetAttribute("data-status"));
        Assert.Contains(_app.Text("Breaches.Status.NotifiedLate", "27.03.2026"), row.TextContent, StringComparison.Ordinal);

        // The measures are edited as more is done, and the change is audited.
        page = await browser.GetAsync($"/admin/breaches/{id}");
        var measures = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Measures.Text"] = "Копия удалена у подрядчика, договор расторгнут." }, formSelector: "form[action*='handler=measures']");
        Assert.Contains(_app.Text("Breaches.MeasuresSaved"), measures.Text, StringComparison.Ordinal);
        Assert.Equal("Копия удалена у подрядчика, договор расторгнут.", (await BreachAsync(id)).Measures);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.measures-changed" && e.Subject == breach.Number)));
        // A second officer's page opened before that change is refused rather than overwriting it.
        var stale = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Measures.Text"] = "Старый текст" }, formSelector: "form[action*='handler=measures']");
        Assert.Equal(_app.Text("Breaches.Conflict"), stale.ErrorText("version-error"));
        Assert.Equal("Копия удалена у подрядчика, договор расторгнут.", (await BreachAsync(id)).Measures);
    }

    [Fact]
    public async Task EachCustomerIsEmailedOnceInTheirLanguageAndASecondClickSendsNothing()
    {
        var (kk, kkId) = await CustomerAsync(Journeys.Someone("kk"));
        var (ru, ruId) = await CustomerAsync(Journeys.Someone("ru"));
        var (en, enId) = await CustomerAsync(Journeys.Someone("en"));
        var (_, browser) = await OfficerAsync();
        using var _ = browser;
        var recorded = await RecordAsync(browser, Fields($"{kk.Email}\n{ru.Email}\n{en.Email}", detectedAt: "2026-03-20T08:00"), [new("Input.Categories", "Documents"), new("Input.Categories", "Requests")]);
        var id = IdOf(recorded);
        var number = (await BreachAsync(id)).Number;

        // Nothing goes out before the texts for customers are written in Kazakh and Russian.
        var early = await browser.SubmitAsync(recorded, formSelector: "#notify-form");
        Assert.Equal(_app.Text("Breaches.TextsMissing"), early.ErrorText("notify-error"));
        var missingRu = await browser.SubmitAsync(recorded, new Dictionary<string, string>
        {
            ["Texts.KkHappened"] = "Деректер көшірмесі бөгде серверде ашық тұрды.",
            ["Texts.KkDone"] = "Көшірме жойылды.",
        }, formSelector: "form[action*='handler=texts']");
        Assert.Equal(_app.Text("Validation.Required"), missingRu.ErrorText("ru-happened-error"));
        var saved = await browser.SubmitAsync(recorded, new Dictionary<string, string>
        {
            ["Texts.KkHappened"] = "Деректер көшірмесі бөгде серверде ашық тұрды.",
            ["Texts.KkDone"] = "Көшірме жойылды, құпия сөздер ауыстырылды.",
            ["Texts.RuHappened"] = "Копия данных была в открытом доступе на чужом сервере.",
            ["Texts.RuDone"] = "Копия удалена, пароли сменены.",
        }, formSelector: "form[action*='handler=texts']");
        Assert.Contains(_app.Text("Breaches.TextsSaved"), saved.Text, StringComparison.Ordinal);

        var notified = await browser.SubmitAsync(saved, formSelector: "#notify-form");
        Assert.Equal(_app.Text("Breaches.Notified", 3, 0, 0), notified.Document.GetElementById("notified")!.TextContent.Trim());
        var toKk = await _app.Mail.WaitForAsync(kk.Email, _app.TextIn("kk", "Email.BreachNotice.Subject", "SMALL"));
        Assert.Contains("Деректер көшірмесі бөгде серверде ашық тұрды.", toKk.TextBody, StringComparison.Ordinal);
        Assert.Contains("құпия сөздер ауыстырылды", toKk.TextBody, StringComparison.Ordinal);
        Assert.Contains(number, toKk.TextBody, StringComparison.Ordinal);
        Assert.Contains("20.03.2026", toKk.TextBody, StringComparison.Ordinal);
        // Registered with a document, without requests: the documents are theirs, the requests are not.
        Assert.Contains(_app.TextIn("kk", "BreachCategory.Documents"), toKk.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(_app.TextIn("kk", "BreachCategory.Requests"), toKk.TextBody, StringComparison.Ordinal);
        Assert.Contains("care@small.kz", toKk.TextBody, StringComparison.Ordinal);
        var toRu = await _app.Mail.WaitForAsync(ru.Email, _app.TextIn("ru", "Email.BreachNotice.Subject", "SMALL"));
        Assert.Contains("Копия данных была в открытом доступе на чужом сервере.", toRu.TextBody, StringComparison.Ordinal);
        Assert.Contains(_app.TextIn("ru", "BreachCategory.Documents"), toRu.TextBody, StringComparison.Ordinal);
        // No English text was written: the English email carries the Russian one.
        var toEn = await _app.Mail.WaitForAsync(en.Email, _app.TextIn("en", "Email.BreachNotice.Subject", "SMALL"));
        Assert.Contains("Копия удалена, пароли сменены.", toEn.TextBody, StringComparison.Ordinal);
        Assert.Contains(_app.TextIn("en", "BreachCategory.Documents"), toEn.TextBody, StringComparison.Ordinal);
        foreach (var customer in new[] { kkId, ruId, enId })
        {
            Assert.Equal(1, await _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.AccountId == customer && m.Kind == "breach-notice")));
            Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.customer-notified" && e.Subject == customer.ToString() && e.Outcome == number)));
        }
        Assert.Equal(3, await _app.WithDbAsync(db => db.BreachCustomers.CountAsync(c => c.BreachId == id && c.NotifiedAt != null)));

        // The second click: nothing more is sent.
        var again = await browser.SubmitAsync(await browser.GetAsync($"/admin/breaches/{id}"), formSelector: "#notify-form");
        Assert.Equal(_app.Text("Breaches.Notified", 0, 3, 0), again.Document.GetElementById("notified")!.TextContent.Trim());
        await Task.Delay(1000);
        foreach (var (email, language) in new[] { (kk.Email, "kk"), (ru.Email, "ru"), (en.Email, "en") })
        {
            Assert.Single(_app.Mail.All(email), m => m.Subject == _app.TextIn(language, "Email.BreachNotice.Subject", "SMALL"));
        }
        Assert.Equal(3, await _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.Kind == "breach-notice" && (m.AccountId == kkId || m.AccountId == ruId || m.AccountId == enId))));
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.customers-notified" && e.Subject == number)));
    }

    [Fact]
    public async Task SupportAndMarketingAreRefusedOnEveryBreachRouteAndAnonymousVisitorsAreSentToSignIn()
    {
        var customers = await CustomerSeed.AddAsync(_app, 1, _ => false);
        var (_, officerBrowser) = await OfficerAsync();
        using var _ = officerBrowser;
        var id = IdOf(await RecordAsync(officerBrowser, Fields(customers[0].Number)));
        var gets = new[] { "/admin/breaches", "/admin/breaches/new", $"/admin/breaches/{id}", $"/admin/breaches/{id}/notification?lang=ru" };
        var posts = new[] { "/admin/breaches/new", $"/admin/breaches/{id}?handler=measures", $"/admin/breaches/{id}?handler=sent", $"/admin/breaches/{id}?handler=texts", $"/admin/breaches/{id}?handler=notify", $"/admin/breaches/{id}?handler=link", $"/admin/breaches/{id}?handler=unlink&requestId=1" };
        var auditBefore = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action.StartsWith("breach.")));
        foreach (var role in new[] { StaffRoles.Support, StaffRoles.Marketing })
        {
            var staff = await StaffJourneys.CreateAsync(_app, role);
            using var browser = _app.NewBrowser();
            await StaffJourneys.SignInAsync(_app, browser, staff);
            Assert.Null((await browser.GetAsync("/admin")).Document.QuerySelector("a[href='/admin/breaches']"));
            foreach (var url in gets)
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync(url)).StatusCode);
            }
            foreach (var url in posts)
            {
                var response = await browser.Client.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string> { ["Measures.Text"] = "x", ["Link.Number"] = "SMALL-2026-000001" }));
                Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"{role} {url}: {response.StatusCode}");
            }
        }
        using var anonymous = _app.NewBrowser();
        foreach (var url in gets)
        {
            var response = await anonymous.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/login", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        // Nothing was looked at or changed on their behalf.
        Assert.Equal(auditBefore, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action.StartsWith("breach."))));
        Assert.Equal("Доступ к копии закрыт, пароли подрядчика сменены.", (await BreachAsync(id)).Measures);
    }

    [Fact]
    public async Task BadInputIsRefusedFieldByFieldAndStoresNothing()
    {
        var customers = await CustomerSeed.AddAsync(_app, 1, _ => false);
        var (_, browser) = await OfficerAsync();
        using var _ = browser;
        var before = await _app.WithDbAsync(db => db.Breaches.CountAsync());

        var future = await RecordAsync(browser, Fields(customers[0].Number, detectedAt: "2099-01-01T10:00"));
        Assert.Equal(_app.Text("Breaches.MomentInFuture"), future.ErrorText("detected-error"));
        var inAnHour = _app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(5)).AddHours(1).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(_app.Text("Breaches.MomentInFuture"), (await RecordAsync(browser, Fields(customers[0].Number, detectedAt: inAnHour))).ErrorText("detected-error"));
        var noTime = await RecordAsync(browser, Fields(customers[0].Number, detectedAt: ""));
        Assert.Equal(_app.Text("Breaches.MomentRequired"), noTime.ErrorText("detected-error"));

        var empty = await RecordAsync(browser, Without(new Dictionary<string, string>(Fields(customers[0].Number)) { ["Input.Description"] = "  \r\n ", ["Input.Customers"] = "" }, "Input.Categories"));
        Assert.Equal(_app.Text("Validation.Required"), empty.ErrorText("description-error"));
        Assert.Equal(_app.Text("Breaches.CategoriesRequired"), empty.ErrorText("categories-error"));
        Assert.Equal(_app.Text("Breaches.CustomersRequired"), empty.ErrorText("customers-error"));
        Assert.NotNull(empty.Document.GetElementById("errors"));

        // The documented limit: 4,000 characters. A megabyte is refused with the same message, not cut.
        foreach (var length in new[] { Breach.MaxText + 1, 1024 * 1024 })
        {
            var huge = await RecordAsync(browser, new Dictionary<string, string>(Fields(customers[0].Number)) { ["Input.Description"] = new string('ә', length) });
            Assert.Equal(HttpStatusCode.OK, huge.Status);
            Assert.Equal(_app.Text("Breaches.TextTooLong", Breach.MaxText), huge.ErrorText("description-error"));
        }
        var control = await RecordAsync(browser, new Dictionary<string, string>(Fields(customers[0].Number)) { ["Input.Description"] = "Ағып кету\u0000\u001b[31m" });
        Assert.Equal(_app.Text("Breaches.TextNotAllowed"), control.ErrorText("description-error"));
        var forged = await RecordAsync(browser, new Dictionary<string, string>(Fields(customers[0].Number)) { ["Input.Categories"] = "4096" });
        Assert.NotEmpty(forged.ErrorText("categories-error"));
        var period = await RecordAsync(browser, new Dictionary<string, string>(Fields("")) { ["Input.Selection"] = "query", ["Input.RegisteredFrom"] = "2026-03-20", ["Input.RegisteredTo"] = "2026-03-01" });
        Assert.Equal(_app.Text("Breaches.PeriodInvalid"), period.ErrorText("to-error"));

        // Lines naming nobody are refused by line number; the typed email is not echoed.
        var unknown = await RecordAsync(browser, Fields($"{customers[0].Number}\nnobody@example.kz\n' OR 1=1 --"));
        var alert = unknown.Document.GetElementById("refused")!.TextContent;
        Assert.Contains(_app.Text("Breaches.Refused.UnknownCustomers", 2), alert, StringComparison.Ordinal);
        Assert.Contains("00002, 00003", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody@example.kz", alert, StringComparison.Ordinal);
        Assert.Equal(before, await _app.WithDbAsync(db => db.Breaches.CountAsync()));

        // Linking requests: an unknown number, another year's number, then the right one once.
        var (person, personId) = await CustomerAsync(Journeys.Someone("ru"));
        FilingResult filed;
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            filed = await scope.ServiceProvider.GetRequiredService<CustomerRequests>().FileAsync(personId, RequestKind.Complaint, "Мои данные утекли?", null, RequestChannel.Cabinet, CancellationToken.None);
        }
        var request = filed.Request!;
        Assert.StartsWith("SMALL-2026-", request.Number, StringComparison.Ordinal);
        var page = await RecordAsync(browser, Fields(person.Email));
        var id = IdOf(page);
        var breachNumber = (await BreachAsync(id)).Number;
        Task<WebPage> LinkAsync(string number) => browser.SubmitAsync(page, new Dictionary<string, string> { ["Link.Number"] = number }, formSelector: "form[action*='handler=link']");
        Assert.Equal(_app.Text("Breaches.RequestUnknown"), (await LinkAsync("SMALL-2026-999999")).ErrorText("link-error"));
        Assert.Equal(_app.Text("Breaches.RequestUnknown"), (await LinkAsync(request.Number.Replace("-2026-", "-2025-", StringComparison.Ordinal))).ErrorText("link-error"));
        Assert.Equal(_app.Text("Breaches.RequestUnknown"), (await LinkAsync(new string('9', 2000))).ErrorText("link-error"));
        Assert.Equal(0, await _app.WithDbAsync(db => db.BreachRequests.CountAsync(l => l.BreachId == id)));
        var linked = await LinkAsync(" " + request.Number.ToLowerInvariant() + " ");
        Assert.Contains(_app.Text("Breaches.RequestLinked"), linked.Text, StringComparison.Ordinal);
        var link = linked.Document.QuerySelector($"#linked-requests a[href='/admin/requests/{request.Id}']")!;
        Assert.Equal(request.Number, link.TextContent);
        Assert.Contains(_app.Text("RequestKind.Complaint"), linked.Document.GetElementById("linked-requests")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(_app.Text("Breaches.RequestAlreadyLinked"), (await LinkAsync(request.Number)).ErrorText("link-error"));
        Assert.Equal(1, await _app.WithDbAsync(db => db.BreachRequests.CountAsync(l => l.BreachId == id)));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.request-linked" && e.Subject == breachNumber && e.Outcome == request.Number)));
        // The request's page at the desk names the incident it is linked to.
        var desk = await browser.GetAsync($"/admin/requests/{request.Id}");
        Assert.Equal(breachNumber, desk.Document.QuerySelector($"#breaches a[href='/admin/breaches/{id}']")?.TextContent);

        // Sending: in the future, without a channel, a reference of several lines.
        var sending = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Sending.SentAt"] = "2099-01-01T10:00", ["Sending.Channel"] = " ", ["Sending.Reference"] = "1\n2" }, formSelector: "form[action*='handler=sent']");
        Assert.Equal(_app.Text("Breaches.MomentInFuture"), sending.ErrorText("sent-at-error"));
        Assert.Equal(_app.Text("Validation.Required"), sending.ErrorText("channel-error"));
        Assert.Equal(_app.Text("Breaches.TextNotAllowed"), sending.ErrorText("reference-error"));
        Assert.Null((await BreachAsync(id)).NotifiedAt);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/admin/breaches/999999")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/admin/breaches/999999/notification?lang=ru")).Status);
    }

    [Fact]
    public async Task ADestroyedCustomersLinkGoesButTheRegisterKeepsItsCount()
    {
        var customers = await CustomerSeed.AddAsync(_app, 2, _ => false);
        var (_, browser) = await OfficerAsync();
        using var _ = browser;
        var id = IdOf(await RecordAsync(browser, Fields($"{customers[0].Number}\n{customers[1].Number}")));
        Assert.Equal(2, (await BreachAsync(id)).AffectedCount);

        // The customer closes and the grace period ends.
        var gone = customers[0].Id;
        await _app.WithDbAsync(db => db.Users.Where(a => a.Id == gone).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Status, AccountStatus.Closing)
            .SetProperty(a => a.ClosingSince, _app.Clock.GetUtcNow().AddDays(-30))));
        Assert.True(await _app.Service<AccountDestruction>().DestroyAsync(gone, CancellationToken.None));

        Assert.Equal(0, await _app.WithDbAsync(db => db.BreachCustomers.CountAsync(c => c.AccountId == gone)));
        Assert.Equal([customers[1].Id], await _app.WithDbAsync(db => db.BreachCustomers.Where(c => c.BreachId == id).Select(c => c.AccountId).ToListAsync()));
        Assert.Equal(2, (await BreachAsync(id)).AffectedCount);
        var register = await browser.GetAsync("/admin/breaches");
        Assert.Contains(">2<", RowOf(register, id).InnerHtml, StringComparison.Ordinal);
        var page = await browser.GetAsync($"/admin/breaches/{id}");
        Assert.Contains(_app.Text("Breaches.AffectedSinceDestroyed", 1), page.Document.GetElementById("affected")!.TextContent, StringComparison.Ordinal);
        // The notice names only who is left.
        var notice = await browser.GetAsync($"/admin/breaches/{id}/notification?lang=ru");
        Assert.Single(notice.Document.QuerySelectorAll("#people tbody tr"));

        // A query: everyone registered today, a destroyed account excluded.
        var today = _app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(5)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var byQuery = await RecordAsync(browser, new Dictionary<string, string>(Fields("")) { ["Input.Selection"] = "query", ["Input.RegisteredFrom"] = today, ["Input.RegisteredTo"] = today });
        var queried = IdOf(byQuery);
        var ids = await _app.WithDbAsync(db => db.BreachCustomers.Where(c => c.BreachId == queried).Select(c => c.AccountId).ToListAsync());
        Assert.Contains(customers[1].Id, ids);
        Assert.DoesNotContain(gone, ids);
        Assert.Equal(ids.Count, (await BreachAsync(queried)).AffectedCount);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breach.recorded" && e.Outcome.EndsWith(" query"))));
    }
}

using System.Net;
using System.Text;
using Derbes.Web.Consents;
using Derbes.Web.Disclosures;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// The disclosure register (issue 4; policy 3.4, 3.5; Art. 19, 22): every transfer recorded with its basis,
/// 3.5.1 refused without each customer's consent, customers told where the law says so, exported for the
/// authorized body, and every step audited.
/// </summary>
public sealed class DisclosureRegisterTests : IClassFixture<DisclosureRegisterTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public DisclosureRegisterTests(App app) => _app = app;

    private async Task<(StaffLogin Officer, Browser Browser)> OfficerAsync()
    {
        var officer = await StaffJourneys.CreateAsync(_app, StaffRoles.PrivacyOfficer);
        var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, officer);
        return (officer, browser);
    }

    private static Dictionary<string, string> Fields(string basis, string recipientKind, string customers, string recipient = "Алматы қаласының ПД тергеу басқармасы") => new()
    {
        ["Input.RecipientKind"] = recipientKind,
        ["Input.RecipientName"] = recipient,
        ["Input.Basis"] = basis,
        ["Input.RequestNumber"] = basis == "LawfulRequest" ? "12-3/456" : "",
        ["Input.RequestDate"] = basis == "LawfulRequest" ? "2026-01-15" : "",
        ["Input.LegalArticle"] = basis == "OtherLegalCase" ? "ҚР ҚПК 122-бабы" : "",
        ["Input.Purpose"] = "Сұрау салуға жауап",
        ["Input.Categories"] = "Name",
        ["Input.Channel"] = "Paper",
        ["Input.Customers"] = customers,
    };

    private static async Task<WebPage> RecordAsync(Browser browser, Dictionary<string, string> fields, Upload? file = null, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var form = await browser.GetAsync("/admin/disclosures/new");
        Assert.Equal(HttpStatusCode.OK, form.Status);
        var request = new Dictionary<string, string>(fields);
        foreach (var (k, v) in extra ?? [])
        {
            request[k] = v;
        }
        return await browser.SubmitAsync(form, request, uploads: file is null ? null : [file]);
    }

    [Fact]
    public async Task ALawfulRequestIsRecordedWithEveryFieldAuditedAndShownOnTheCustomersRecordButNotEmailed()
    {
        using var customerBrowser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, customerBrowser);
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var account = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index));
        var (officer, browser) = await OfficerAsync();
        using var _ = browser;

        var fields = Fields("LawfulRequest", "InvestigationBody", account.UserName!);
        var done = await RecordAsync(browser, fields, extra: [new("Input.Categories", "Phone")]);
        Assert.Matches("^/admin/disclosures/[0-9]+$", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Disclosures.Recorded"), done.Text, StringComparison.Ordinal);
        Assert.Contains("12-3/456", done.Text, StringComparison.Ordinal);
        Assert.Contains(account.UserName!, done.Text, StringComparison.Ordinal);
        Assert.Contains(_app.Text("RecipientKind.InvestigationBody"), done.Text, StringComparison.Ordinal);

        var stored = await _app.WithDbAsync(db => db.Disclosures.AsNoTracking().OrderByDescending(d => d.Id).FirstAsync());
        Assert.Equal(DisclosureBasis.LawfulRequest, stored.Basis);
        Assert.Equal(new DateOnly(2026, 1, 15), stored.RequestDate);
        Assert.Equal(DataCategory.Phone, stored.Categories);
        Assert.Equal(officer.Id, stored.ApprovedBy);
        Assert.Equal(officer.Id, stored.RecordedBy);
        Assert.Equal(1, stored.CustomerCount);
        var subject = await _app.WithDbAsync(db => db.DisclosureSubjects.AsNoTracking().SingleAsync(s => s.DisclosureId == stored.Id));
        Assert.Equal(account.Id, subject.AccountId);
        // A state body's request: the customer will see it in the cabinet, but the law asks for no email.
        Assert.Null(subject.NotifiedAt);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.AccountId == account.Id && m.Kind == "data-disclosed")));

        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Actor == officer.Id.ToString()).OrderBy(e => e.Id).ToListAsync());
        Assert.Contains(audit, e => e.Action == "disclosure.recorded" && e.Subject == stored.Number && e.Outcome == "basis:3.4.1 customers:1");
        Assert.Contains(audit, e => e.Action == "customer.disclosed" && e.Subject == account.Id.ToString() && e.Outcome == stored.Number);
        Assert.Contains(audit, e => e.Action == "disclosure.viewed" && e.Subject == stored.Number);

        // The customer's record lists it.
        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{account.Id}"), new Dictionary<string, string> { ["Reason"] = "LegalRequest", ["Reference"] = "12-3/456" });
        Assert.NotNull(record.Document.QuerySelector($"a[href='/admin/disclosures/{stored.Id}']"));
        // And the register.
        var list = await browser.GetAsync("/admin/disclosures?Basis=LawfulRequest");
        Assert.NotNull(list.Document.QuerySelector($"a[href='/admin/disclosures/{stored.Id}']"));
        var none = await browser.GetAsync("/admin/disclosures?Basis=NeededForService&Recipient=Court");
        Assert.Null(none.Document.QuerySelector($"a[href='/admin/disclosures/{stored.Id}']"));
    }

    [Fact]
    public async Task ATransferOnConsentOfAThousandCustomersIsRefusedNamingTheOneWhoWithdrewThenRecordedAndToldWithoutThem()
    {
        var customers = await CustomerSeed.AddAsync(_app, 1000, _ => true);
        var withdrew = customers[517];
        await CustomerSeed.RecordAsync(_app, withdrew.Id, ConsentPurpose.ThirdPartyTransfer, granted: false);
        var (officer, browser) = await OfficerAsync();
        using var _ = browser;

        // As a spreadsheet saves it: a header, semicolons, some quoted cells, CRLF, a byte order mark.
        var csv = new StringBuilder("\uFEFFКлиент нөмірі;Аты\r\n");
        foreach (var (c, i) in customers.Select((c, i) => (c, i)))
        {
            csv.Append(i % 3 == 0 ? $"\"{c.Number}\";\"Айгүл\"\r\n" : $"{c.Number};Айгүл\r\n");
        }
        var fields = Fields("CustomerConsent", "ThirdParty", "", "Kaspi Bank JSC");
        var refused = await RecordAsync(browser, fields, new Upload("CustomerFile", "customers.csv", Encoding.UTF8.GetBytes(csv.ToString()), "text/csv"));
        Assert.Equal("/admin/disclosures/new", refused.Url.AbsolutePath);
        var alert = refused.Document.QuerySelector(".alert.error")!.TextContent;
        Assert.Contains(_app.Text("Disclosures.Refused.NoConsent", 1), alert, StringComparison.Ordinal);
        Assert.Contains(withdrew.Number, alert, StringComparison.Ordinal);
        Assert.DoesNotContain(customers[516].Number, alert, StringComparison.Ordinal);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Disclosures.CountAsync(d => d.RecipientName == "Kaspi Bank JSC")));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "disclosure.refused" && e.Actor == officer.Id.ToString() && e.Outcome == "NoConsent basis:3.5.1 count:1")));

        // Without them it goes through, and each of the 999 is told by email (Art. 19).
        var without = string.Join("\n", customers.Where(c => c != withdrew).Select(c => c.Number));
        var recorded = await RecordAsync(browser, fields, new Upload("CustomerFile", "customers.csv", Encoding.UTF8.GetBytes(without), "text/csv"));
        Assert.Contains(_app.Text("Disclosures.Recorded"), recorded.Text, StringComparison.Ordinal);
        var stored = await _app.WithDbAsync(db => db.Disclosures.AsNoTracking().SingleAsync(d => d.RecipientName == "Kaspi Bank JSC"));
        Assert.Equal(999, stored.CustomerCount);
        var ids = customers.Select(c => c.Id).ToList();
        Assert.Equal(999, await _app.WithDbAsync(db => db.DisclosureSubjects.CountAsync(s => s.DisclosureId == stored.Id && s.NotifiedAt != null)));
        Assert.Equal(999, await _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.Kind == "data-disclosed" && ids.Contains(m.AccountId))));
        Assert.Equal(0, await _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.Kind == "data-disclosed" && m.AccountId == withdrew.Id)));
        Assert.Equal(999, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.disclosed" && e.Outcome == stored.Number)));
        Assert.Contains(_app.Text("Disclosures.Emailed", 999), recorded.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingMismatchedAndForgedFieldsAreRefusedOneByOneAndNothingIsRecorded()
    {
        var customers = await CustomerSeed.AddAsync(_app, 2, i => i == 0);
        var (_, browser) = await OfficerAsync();
        using var _ = browser;
        var support = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        var before = await _app.WithDbAsync(db => db.Disclosures.CountAsync());

        var empty = await RecordAsync(browser, new Dictionary<string, string>
        {
            ["Input.DisclosedOn"] = "",
            ["Input.RecipientName"] = "   ",
            ["Input.Purpose"] = "",
            ["Input.ApprovedBy"] = "",
        });
        Assert.Equal(_app.Text("Disclosures.DateRequired"), empty.ErrorText("date-error"));
        Assert.Equal(_app.Text("Disclosures.RecipientKindRequired"), empty.ErrorText("kind-error"));
        Assert.Equal(_app.Text("Disclosures.RecipientRequired"), empty.ErrorText("recipient-error"));
        Assert.Equal(_app.Text("Disclosures.BasisRequired"), empty.ErrorText("basis-error"));
        Assert.Equal(_app.Text("Disclosures.PurposeRequired"), empty.ErrorText("purpose-error"));
        Assert.Equal(_app.Text("Disclosures.CategoriesRequired"), empty.ErrorText("categories-error"));
        Assert.Equal(_app.Text("Disclosures.ChannelRequired"), empty.ErrorText("channel-error"));
        Assert.Equal(_app.Text("Disclosures.ApproverRequired"), empty.ErrorText("approver-error"));
        Assert.Equal(_app.Text("Disclosures.CustomersRequired"), empty.ErrorText("customers-error"));

        var noRequest = await RecordAsync(browser, Fields("LawfulRequest", "Court", customers[0].Number), extra: [new("Input.RequestNumber", ""), new("Input.RequestDate", "")]);
        Assert.Equal(_app.Text("Disclosures.RequestNumberRequired"), noRequest.ErrorText("request-number-error"));
        Assert.Equal(_app.Text("Disclosures.RequestDateRequired"), noRequest.ErrorText("request-date-error"));

        var future = await RecordAsync(browser, Fields("LawfulRequest", "Court", customers[0].Number), extra: [new("Input.DisclosedOn", "2099-01-01")]);
        Assert.Equal(_app.Text("Disclosures.DateInvalid"), future.ErrorText("date-error"));

        var noArticle = await RecordAsync(browser, Fields("OtherLegalCase", "OtherStateBody", customers[0].Number), extra: [new("Input.LegalArticle", " ")]);
        Assert.Equal(_app.Text("Disclosures.LegalArticleRequired"), noArticle.ErrorText("article-error"));

        var consentToCourt = await RecordAsync(browser, Fields("CustomerConsent", "Court", customers[0].Number));
        Assert.Equal(_app.Text("Disclosures.ThirdPartyBasisNeedsThirdParty"), consentToCourt.ErrorText("basis-error"));
        var requestFromShop = await RecordAsync(browser, Fields("LawfulRequest", "ThirdParty", customers[0].Number));
        Assert.Equal(_app.Text("Disclosures.StateBasisNeedsStateBody"), requestFromShop.ErrorText("basis-error"));
        var secretThirdParty = await RecordAsync(browser, Fields("NeededForService", "ThirdParty", customers[0].Number), extra: [new("Input.Confidential", "true")]);
        Assert.Equal(_app.Text("Disclosures.ConfidentialOnlyForStateBodies"), secretThirdParty.ErrorText("confidential-error"));

        // Forged options and an approver who is not a privacy officer.
        var forged = await RecordAsync(browser, Fields("Root", "Court", customers[0].Number), extra: [new("Input.Categories", "4096"), new("Input.Channel", "Pigeon")]);
        Assert.NotEmpty(forged.ErrorText("basis-error"));
        Assert.NotEmpty(forged.ErrorText("channel-error"));
        Assert.NotEmpty(forged.ErrorText("categories-error"));
        var notOfficer = await RecordAsync(browser, Fields("LawfulRequest", "Court", customers[0].Number), extra: [new("Input.ApprovedBy", support.Id.ToString())]);
        Assert.Equal(_app.Text("Disclosures.ApproverRequired"), notOfficer.ErrorText("approver-error"));

        // Lines that name nobody are refused by line number (an email or phone from the list is not echoed).
        var unknown = await RecordAsync(browser, Fields("LawfulRequest", "Court", $"{customers[0].Number}\nnobody@example.kz\n' OR 1=1 --\n%"));
        var alert = unknown.Document.QuerySelector(".alert.error")!.TextContent;
        Assert.Contains(_app.Text("Disclosures.Refused.UnknownCustomers", 3), alert, StringComparison.Ordinal);
        Assert.Contains("00002, 00003, 00004", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody@example.kz", alert, StringComparison.Ordinal);

        // A transfer on consent names the customer without one.
        var noConsent = await RecordAsync(browser, Fields("CustomerConsent", "ThirdParty", $"{customers[0].Number}\n{customers[1].Number}"));
        Assert.Contains(customers[1].Number, noConsent.Document.QuerySelector(".alert.error")!.TextContent, StringComparison.Ordinal);

        Assert.Equal(before, await _app.WithDbAsync(db => db.Disclosures.CountAsync()));
    }

    [Fact]
    public async Task NoTransferToAThirdPartyIncludesABlockedCustomerButAStateBodysRequestMay()
    {
        var customers = await CustomerSeed.AddAsync(_app, 1, _ => true);
        await _app.WithDbAsync(db => db.Users.Where(a => a.Id == customers[0].Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Derbes.Web.Customers.AccountStatus.Blocked)));
        var (_, browser) = await OfficerAsync();
        using var _ = browser;

        var refused = await RecordAsync(browser, Fields("NeededForService", "ThirdParty", customers[0].Number, "Glovo Kazakhstan"));
        Assert.Contains(_app.Text("Disclosures.Refused.Blocked", 1), refused.Text, StringComparison.Ordinal);
        var court = await RecordAsync(browser, Fields("LawfulRequest", "Court", customers[0].Number, "Алматы аудандық соты"));
        Assert.Contains(_app.Text("Disclosures.Recorded"), court.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConfidentialRequestIsHiddenFromTheCustomerUntilAnOfficerRevealsIt()
    {
        var customers = await CustomerSeed.AddAsync(_app, 1, _ => false);
        var (officer, browser) = await OfficerAsync();
        using var _ = browser;
        var done = await RecordAsync(browser, Fields("LawfulRequest", "InvestigationBody", customers[0].Number, "Құпия тергеу"), extra: [new("Input.Confidential", "true")]);
        Assert.Contains(_app.Text("Disclosures.ConfidentialBadge"), done.Text, StringComparison.Ordinal);
        var id = long.Parse(done.Url.AbsolutePath.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);

        async Task<int> VisibleToCustomerAsync()
        {
            await using var scope = _app.Services.CreateAsyncScope();
            var register = scope.ServiceProvider.GetRequiredService<DisclosureRegister>();
            return (await register.ForCustomerAsync(customers[0].Id, includeConfidential: false, CancellationToken.None)).Count;
        }
        Assert.Equal(0, await VisibleToCustomerAsync());

        var revealed = await browser.SubmitAsync(done, formSelector: "main form[action*='handler=reveal']");
        Assert.Contains(_app.Text("Disclosures.Revealed"), revealed.Text, StringComparison.Ordinal);
        Assert.Null(revealed.Document.QuerySelector("main form[action*='handler=reveal']"));
        Assert.Equal(1, await VisibleToCustomerAsync());
        var stored = await _app.WithDbAsync(db => db.Disclosures.AsNoTracking().SingleAsync(d => d.Id == id));
        Assert.Equal(officer.Id, stored.ConfidentialityLiftedBy);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "disclosure.made-visible" && e.Subject == stored.Number)));
    }

    [Fact]
    public async Task TheCustomerIsToldInTheirLanguageAndARecipientsMarkupIsShownAsText()
    {
        using var customerBrowser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, customerBrowser, Journeys.Someone("ru"));
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var account = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index));
        var (_, browser) = await OfficerAsync();
        using var _ = browser;

        const string hostile = "<script>alert('x')</script> Доставка ТОО";
        var done = await RecordAsync(browser, Fields("NeededForService", "ThirdParty", customer.Email, hostile), extra: [new("Input.Categories", "Phone")]);
        Assert.Contains(hostile, done.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", done.Body, StringComparison.Ordinal);
        var list = await browser.GetAsync("/admin/disclosures");
        Assert.DoesNotContain("<script>alert", list.Body, StringComparison.Ordinal);

        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.TextIn("ru", "Email.DataDisclosed.Subject", "SMALL"));
        Assert.Contains(hostile, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(_app.TextIn("ru", "DataCategory.Phone"), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(_app.TextIn("ru", "DisclosureBasis.NeededForService"), mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", mail.HtmlBody, StringComparison.Ordinal);
        Assert.NotNull(await _app.WithDbAsync(db => db.DisclosureSubjects.AsNoTracking().Where(s => s.AccountId == account.Id).Select(s => s.NotifiedAt).SingleAsync()));
    }

    [Fact]
    public async Task TheRegisterExportsForTheAuthorizedBodyWithStaffNamesAndFormulasDisarmed()
    {
        var customers = await CustomerSeed.AddAsync(_app, 3, _ => true);
        var (officer, browser) = await OfficerAsync();
        using var _ = browser;
        var done = await RecordAsync(browser, Fields("OtherLegalCase", "LocalGovernment", string.Join("\n", customers.Select(c => c.Number)), "=HYPERLINK(\"http://evil\")"));
        var id = done.Url.AbsolutePath.Split('/')[^1];

        var export = await browser.Client.GetAsync("/admin/disclosures?handler=csv&Recipient=LocalGovernment");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", export.Content.Headers.ContentDisposition?.DispositionType);
        var csv = await export.Content.ReadAsStringAsync();
        Assert.StartsWith("number,disclosed_on,", csv.TrimStart('\uFEFF'), StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", csv, StringComparison.Ordinal);
        Assert.Contains("\"ҚР ҚПК 122-бабы\"", csv, StringComparison.Ordinal);
        Assert.Contains("3.4.2", csv, StringComparison.Ordinal);
        Assert.Contains($"\"{officer.FirstName} Жұмабаева\"", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("Kaspi", csv, StringComparison.Ordinal);

        var people = await (await browser.Client.GetAsync($"/admin/disclosures/{id}?handler=customers")).Content.ReadAsStringAsync();
        Assert.All(customers, c => Assert.Contains(c.Number, people, StringComparison.Ordinal));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "disclosure.exported" && e.Actor == officer.Id.ToString())));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "disclosure.customers-exported" && e.Actor == officer.Id.ToString())));
    }

    [Fact]
    public async Task SupportAndMarketingCannotReachTheRegister()
    {
        foreach (var role in new[] { StaffRoles.Support, StaffRoles.Marketing, StaffRoles.Administrator })
        {
            var staff = await StaffJourneys.CreateAsync(_app, role);
            using var browser = _app.NewBrowser();
            await StaffJourneys.SignInAsync(_app, browser, staff);
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/disclosures")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/disclosures/new")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/disclosures?handler=csv")).StatusCode);
        }
    }
}

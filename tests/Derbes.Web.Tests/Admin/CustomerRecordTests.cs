using System.Net;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// Staff look at customers (issue 4): exact search only, masked results, a stated reason before a record opens,
/// and an audit entry for every search, opening, view and block.
/// </summary>
public sealed class CustomerRecordTests : IClassFixture<CustomerRecordTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public CustomerRecordTests(App app) => _app = app;

    private async Task<(NewCustomer Customer, Guid Id, string Number)> CustomerAsync(NewCustomer? customer = null)
    {
        using var browser = _app.NewBrowser();
        var c = await Journeys.RegisteredAndConfirmedAsync(_app, browser, customer);
        var index = _app.Service<BlindIndex>().Email(c.Email);
        var account = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index));
        return (c, account.Id, account.UserName!);
    }

    private async Task<(StaffLogin Staff, Browser Browser)> SignedInAsync(params string[] roles)
    {
        var staff = await StaffJourneys.CreateAsync(_app, roles);
        var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, staff);
        return (staff, browser);
    }

    private static async Task<WebPage> SearchAsync(Browser browser, string query) =>
        await browser.SubmitAsync(await browser.GetAsync("/admin/customers"), new Dictionary<string, string> { ["Query"] = query });

    [Fact]
    public async Task SearchFindsOnlyExactEmailPhoneOrNumberAndShowsMaskedResults()
    {
        var (customer, id, number) = await CustomerAsync();
        var (staff, browser) = await SignedInAsync(StaffRoles.Support);
        using var _ = browser;

        foreach (var query in new[] { customer.Email.ToUpperInvariant(), customer.PhoneTyped, "+" + customer.PhoneE164[1..], number })
        {
            var page = await SearchAsync(browser, query);
            Assert.True(page.Text.Contains(_app.Text("Customers.Results", 1), StringComparison.Ordinal), "searching " + query);
            Assert.NotNull(page.Document.QuerySelector($"a[href='/admin/customers/{id}']"));
            // Masked: neither the full email nor the full phone, nor the name, is in the results.
            var results = page.Document.QuerySelector("main table")!.OuterHtml;
            Assert.DoesNotContain(customer.Email, results, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(customer.PhoneE164[2..], results, StringComparison.Ordinal);
            Assert.DoesNotContain(customer.FirstName, page.Body, StringComparison.Ordinal);
            Assert.Equal("/admin/customers", page.Url.PathAndQuery);
        }
        foreach (var query in new[] { "%@example.kz", "*", "' OR 1=1 --", customer.FirstName, customer.Email[..5] + "%", "_" + customer.Email[1..] })
        {
            var page = await SearchAsync(browser, query);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.Contains(_app.Text("Customers.Results", 0), page.Text, StringComparison.Ordinal);
        }
        // Each search is on the record, without what was searched for.
        var searches = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "customer.search" && e.Actor == staff.Id.ToString()).ToListAsync());
        Assert.Equal(10, searches.Count);
        Assert.All(searches, e => Assert.DoesNotContain("@", e.Outcome + e.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARecordOpensOnlyWithAReasonAndEveryLookIsAudited()
    {
        var (customer, id, _) = await CustomerAsync();
        var (staff, browser) = await SignedInAsync(StaffRoles.Support);
        using var _ = browser;

        var ask = await browser.GetAsync($"/admin/customers/{id}");
        Assert.NotNull(ask.Document.QuerySelector("select#Reason"));
        Assert.DoesNotContain(customer.Email, ask.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(customer.FirstName, ask.Body, StringComparison.Ordinal);

        var empty = await browser.SubmitAsync(ask, new Dictionary<string, string> { ["Reason"] = "", ["Reference"] = "   " });
        Assert.Equal(_app.Text("Customers.ReasonRequired"), empty.ErrorText("reason-error"));
        Assert.Equal(_app.Text("Customers.ReferenceRequired"), empty.ErrorText("reference-error"));
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == id.ToString() && e.Action.StartsWith("customer."))));

        var record = await browser.SubmitAsync(empty, new Dictionary<string, string> { ["Reason"] = "SupportRequest", ["Reference"] = "TCK-42" });
        Assert.Contains(customer.Email, record.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(customer.FirstName, record.Text, StringComparison.Ordinal);
        Assert.Contains(_app.Text("ConsentPurpose.Processing"), record.Text, StringComparison.Ordinal);
        var again = await browser.GetAsync(record.Url.PathAndQuery);
        Assert.Contains(customer.FirstName, again.Text, StringComparison.Ordinal);

        var entries = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Subject == id.ToString() && e.Action.StartsWith("customer.")).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(["customer.opened", "customer.viewed", "customer.viewed"], entries.Select(e => e.Action).ToArray());
        Assert.All(entries, e => Assert.Equal(staff.Id.ToString(), e.Actor));
        Assert.All(entries, e => Assert.Equal("SupportRequest:TCK-42", e.Outcome));

        // The grant is this person's: a colleague with the same link is asked for their own reason.
        var (_, colleague) = await SignedInAsync(StaffRoles.PrivacyOfficer);
        using var __ = colleague;
        var borrowed = await colleague.GetAsync(record.Url.PathAndQuery);
        Assert.NotNull(borrowed.Document.QuerySelector("select#Reason"));
        Assert.DoesNotContain(customer.FirstName, borrowed.Body, StringComparison.Ordinal);

        // And it lapses.
        _app.Clock.Advance(TimeSpan.FromMinutes(16));
        await StaffJourneys.SignInAsync(_app, browser, staff);
        var lapsed = await browser.GetAsync(record.Url.PathAndQuery);
        Assert.True(lapsed.Document.QuerySelector("select#Reason") is not null, lapsed.Url + " " + lapsed.Text[..Math.Min(400, lapsed.Text.Length)]);
    }

    [Fact]
    public async Task ANameIsCorrectedOnlyOnARequestWhichTheAuditRecordsWithoutTheValuesAndTheCustomerIsTold()
    {
        var (customer, id, _) = await CustomerAsync();
        var (staff, browser) = await SignedInAsync(StaffRoles.Support);
        using var _ = browser;

        // Opened for a support ticket: no correction form, only what to do instead.
        var support = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "SupportRequest", ["Reference"] = "TCK-1" });
        Assert.Null(support.Document.QuerySelector("main form[action*='handler=correct']"));
        Assert.Contains(_app.Text("Customers.CorrectionNeedsRequest"), support.Text, StringComparison.Ordinal);

        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "REQ-2026-7" });
        var form = "main form[action*='handler=correct']";
        var empty = await browser.SubmitAsync(record, new Dictionary<string, string> { ["FirstName"] = "  ", ["LastName"] = "Ж\u0007" }, formSelector: form);
        Assert.Equal(_app.Text("Validation.Required"), empty.ErrorText("first-name-error"));
        Assert.Equal(_app.Text("Validation.NoControlCharacters"), empty.ErrorText("last-name-error"));
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.corrected" && e.Subject == id.ToString())));

        var done = await browser.SubmitAsync(empty, new Dictionary<string, string> { ["FirstName"] = "Әлия <b>", ["LastName"] = "Нұрланқызы" }, formSelector: form);
        Assert.Contains(_app.Text("Customers.Corrected"), done.Text, StringComparison.Ordinal);
        Assert.Contains("Әлия <b> Нұрланқызы", done.Document.QuerySelector("main h1")!.TextContent, StringComparison.Ordinal);
        var entry = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "customer.corrected" && e.Subject == id.ToString()));
        Assert.Equal(staff.Id.ToString(), entry.Actor);
        Assert.Equal("PrivacyRequest:REQ-2026-7 first-name,last-name", entry.Outcome);
        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.DataCorrected.Subject", "SMALL"));
        Assert.Contains("REQ-2026-7", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;", mail.HtmlBody, StringComparison.Ordinal);

        // The customer's sign-in and profile see the new name; the same values again change nothing.
        using var customerBrowser = _app.NewBrowser();
        var cabinet = await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password);
        Assert.Contains("Әлия <b>", cabinet.Text, StringComparison.Ordinal);
        var again = await browser.SubmitAsync(await browser.GetAsync(done.Url.PathAndQuery), new Dictionary<string, string> { ["FirstName"] = "Әлия <b>", ["LastName"] = "Нұрланқызы" }, formSelector: form);
        Assert.Contains(_app.Text("Customers.CorrectionUnchanged"), again.Text, StringComparison.Ordinal);

        // The history names the member of staff, not an id.
        Assert.Contains($"{staff.FirstName} Жұмабаева", again.Document.QuerySelector("main table.history")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MarketingNeverReachesACustomer()
    {
        var (customer, id, _) = await CustomerAsync();
        var (staff, browser) = await SignedInAsync(StaffRoles.Marketing);
        using var _ = browser;
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync($"/admin/customers/{id}")).StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.search" && e.Actor == staff.Id.ToString())));
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "access.denied" && e.Actor == staff.Id.ToString())));
    }

    [Fact]
    public async Task BlockingEndsTheCustomersSessionsAndStopsSignInAndRecoveryUntilUnblocked()
    {
        var (customer, id, _) = await CustomerAsync();
        using var customerBrowser = _app.NewBrowser();
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password)).Url.AbsolutePath);

        var (_, browser) = await SignedInAsync(StaffRoles.Support);
        using var _ = browser;
        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "REQ-7" });
        var blocked = await browser.SubmitAsync(record, formSelector: "main form[action*='handler=block']");
        Assert.Contains(_app.Text("Customers.BlockedNotice"), blocked.Text, StringComparison.Ordinal);
        Assert.Contains(_app.Text("CustomerStatus.Blocked"), blocked.Text, StringComparison.Ordinal);

        Assert.Equal("/account/login", (await customerBrowser.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal("/account/login", (await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password)).Url.AbsolutePath);
        var mailBefore = _app.Mail.All(customer.Email).Count;
        var forgot = await customerBrowser.GetAsync("/account/forgot-password");
        await customerBrowser.SubmitAsync(forgot, new Dictionary<string, string> { ["Login"] = customer.Email });
        await Task.Delay(500);
        Assert.Equal(mailBefore, _app.Mail.All(customer.Email).Count);

        var unblocked = await browser.SubmitAsync(blocked, formSelector: "main form[action*='handler=unblock']");
        Assert.Contains(_app.Text("Customers.UnblockedNotice"), unblocked.Text, StringComparison.Ordinal);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password)).Url.AbsolutePath);
        var actions = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Subject == id.ToString() && (e.Action == "customer.blocked" || e.Action == "customer.unblocked")).Select(e => e.Outcome).ToListAsync());
        Assert.Equal(["PrivacyRequest:REQ-7", "PrivacyRequest:REQ-7"], actions);
    }

    [Fact]
    public async Task StaffSendAResetLinkOrANewConfirmationLinkButNeverSetAPassword()
    {
        var (customer, id, _) = await CustomerAsync();
        var (_, browser) = await SignedInAsync(StaffRoles.Support);
        using var _ = browser;
        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "SupportRequest", ["Reference"] = "TCK-9" });
        Assert.Null(record.Document.QuerySelector("main input[type=password]"));
        // Confirmed already: no confirmation button, a reset button.
        Assert.Null(record.Document.QuerySelector("main form[action*='handler=confirm']"));
        var sent = await browser.SubmitAsync(record, formSelector: "main form[action*='handler=reset']");
        Assert.Contains(_app.Text("Customers.ResetSent"), sent.Text, StringComparison.Ordinal);
        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.Reset.Subject", "SMALL"));
        using var customerBrowser = _app.NewBrowser();
        var reset = await customerBrowser.GetAsync(new Uri(Mailbox.Link(mail, "/account/reset-password")).PathAndQuery);
        Assert.NotNull(reset.Document.QuerySelector("main input[type=password]"));

        // A customer who never confirmed gets a new confirmation link instead.
        using var newcomerBrowser = _app.NewBrowser();
        var newcomer = Journeys.Someone();
        await Journeys.RegisterAsync(newcomerBrowser, newcomer);
        await _app.Mail.WaitForAsync(newcomer.Email);
        var index = _app.Service<BlindIndex>().Email(newcomer.Email);
        var newcomerId = await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        var unconfirmed = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{newcomerId}"), new Dictionary<string, string> { ["Reason"] = "SupportRequest", ["Reference"] = "TCK-10" });
        Assert.Null(unconfirmed.Document.QuerySelector("main form[action*='handler=reset']"));
        var resent = await browser.SubmitAsync(unconfirmed, formSelector: "main form[action*='handler=confirm']");
        Assert.Contains(_app.Text("Customers.ConfirmationSent"), resent.Text, StringComparison.Ordinal);
        // Two confirmation emails now; the newer link confirms (it voided the older one).
        var subject = _app.Text("Email.Confirm.Subject", "SMALL");
        List<MimeKit.MimeMessage> confirmations = [];
        for (var i = 0; i < 100 && confirmations.Count < 2; i++)
        {
            confirmations = [.. _app.Mail.All(newcomer.Email).Where(m => (m.Subject ?? "").Contains(subject, StringComparison.Ordinal))];
            await Task.Delay(100);
        }
        Assert.Equal(2, confirmations.Count);
        var links = confirmations.Select(m => new Uri(Mailbox.Link(m, "/account/confirm-email")).PathAndQuery).Distinct().ToList();
        Assert.Equal(2, links.Count);
        var results = new List<string>();
        foreach (var link in links)
        {
            using var b = _app.NewBrowser();
            var page = await b.GetAsync(link);
            results.Add(page.Document.QuerySelector("main form[method=post]") is null ? "void" : "valid");
        }
        Assert.Equal(1, results.Count(r => r == "valid"));

        var actions = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "customer.reset-sent" || e.Action == "customer.confirmation-resent").Select(e => e.Action + "=" + e.Outcome).ToListAsync());
        Assert.Contains("customer.reset-sent=SupportRequest:TCK-9", actions);
        Assert.Contains("customer.confirmation-resent=SupportRequest:TCK-10", actions);
    }

    [Fact]
    public async Task MarkupInACustomersNameIsShownAsTextToStaff()
    {
        var (customer, id, _) = await CustomerAsync(Journeys.Someone() with { FirstName = "<img src=x onerror=alert(1)>", LastName = "'; DROP TABLE \"AspNetUsers\"; --" });
        var (_, browser) = await SignedInAsync(StaffRoles.PrivacyOfficer);
        using var _ = browser;
        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "Complaint", ["Reference"] = "<b>C-1</b>" });
        Assert.Contains(customer.FirstName, record.Text, StringComparison.Ordinal);
        Assert.Contains(customer.LastName, record.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", record.Body, StringComparison.Ordinal);
        Assert.Null(record.Document.QuerySelector("main img[src=x]"));
        Assert.Null(record.Document.QuerySelector("main b"));
    }
}

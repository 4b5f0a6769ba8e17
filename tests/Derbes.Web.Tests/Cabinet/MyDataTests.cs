using System.Net;
using System.Text.Json;
using Derbes.Web.Disclosures;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// "My data" (Art. 24 p.1 sub.1): everything held, on the page, as JSON and printable, for the signed-in customer
/// only, with the disclosures of their data except confidential ones; free, immediate and audited.
/// </summary>
public sealed class MyDataTests(MyDataTests.App app) : IClassFixture<MyDataTests.App>
{
    /// <summary>One app for the class: each test registers its own customers.</summary>
    public sealed class App : DerbesApp;

    private readonly DerbesApp _app = app;

    private async Task<(NewCustomer Customer, Guid Id, Browser Browser)> SignedInAsync(string language = "kk")
    {
        var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser, Journeys.Someone(language));
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        return (customer, await _app.AccountIdAsync(customer.Email), browser);
    }

    private Task<long> DiscloseAsync(Guid customer, string recipient, bool confidential, RecipientKind kind) => _app.WithDbAsync(async db =>
    {
        var disclosure = new Disclosure
        {
            DisclosedOn = DateOnly.FromDateTime(_app.Clock.GetUtcNow().UtcDateTime),
            RecordedAt = _app.Clock.GetUtcNow(),
            RecordedBy = Guid.NewGuid(),
            ApprovedBy = Guid.NewGuid(),
            RecipientKind = kind,
            RecipientName = recipient,
            Basis = kind == RecipientKind.ThirdParty ? DisclosureBasis.CustomerConsent : DisclosureBasis.LawfulRequest,
            RequestNumber = kind == RecipientKind.ThirdParty ? null : "12-3/456",
            Purpose = "Тексеру",
            Categories = DataCategory.Name | DataCategory.Phone,
            Channel = DisclosureChannel.Paper,
            Confidential = confidential,
            CustomerCount = 1,
        };
        db.Disclosures.Add(disclosure);
        await db.SaveChangesAsync();
        db.DisclosureSubjects.Add(new DisclosureSubject { DisclosureId = disclosure.Id, AccountId = customer });
        await db.SaveChangesAsync();
        return disclosure.Id;
    });

    [Fact]
    public async Task ThePageTheJsonAndThePrintableDocumentHoldEverythingButConfidentialDisclosuresAndEachIsAudited()
    {
        var (customer, id, browser) = await SignedInAsync();
        using var _ = browser;
        await DiscloseAsync(id, "ТОО Партнёр Маркет", confidential: false, RecipientKind.ThirdParty);
        await DiscloseAsync(id, "Тергеу басқармасы", confidential: true, RecipientKind.InvestigationBody);

        var page = await browser.GetAsync("/cabinet/my-data");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        foreach (var shown in new[] { customer.FirstName, customer.LastName, customer.Email, customer.PhoneE164, "ТОО Партнёр Маркет", _app.Text("MyData.PurposesText"), _app.Text("MyData.RecipientsText") })
        {
            Assert.Contains(shown, page.Text, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("Тергеу басқармасы", page.Body, StringComparison.Ordinal);
        // The exact words agreed to at registration are there.
        Assert.Contains(_app.Text("Register.ConsentProcessing", 1), page.Text, StringComparison.Ordinal);

        var json = await browser.Client.GetAsync("/cabinet/my-data?handler=json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", json.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("no-store", json.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        using var report = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var root = report.RootElement;
        Assert.Equal(customer.Email, root.GetProperty("profile").GetProperty("email").GetString());
        Assert.Equal(customer.PhoneE164, root.GetProperty("profile").GetProperty("phone").GetString());
        Assert.Equal(1, root.GetProperty("documents").GetArrayLength());
        Assert.Equal("AwaitingReview", root.GetProperty("documents")[0].GetProperty("status").GetString());
        Assert.Contains(root.GetProperty("consents").EnumerateArray(), c => c.GetProperty("purpose").GetString() == "Processing" && c.GetProperty("agrees").GetBoolean());
        Assert.Contains(root.GetProperty("signIns").EnumerateArray(), s => s.GetProperty("action").GetString() == "signin.succeeded");
        var disclosures = root.GetProperty("disclosures");
        Assert.Equal(1, disclosures.GetArrayLength());
        Assert.Equal("ТОО Партнёр Маркет", disclosures[0].GetProperty("recipient").GetString());
        Assert.True(root.GetProperty("storagePeriods").GetProperty("auditTrail").GetInt32() >= 365);

        var print = await browser.GetAsync("/cabinet/my-data/print");
        Assert.Equal(HttpStatusCode.OK, print.Status);
        Assert.Contains(customer.Email, print.Text, StringComparison.Ordinal);
        Assert.Null(print.Document.QuerySelector("nav"));

        var formats = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action == "customer.exported" && e.Subject == id.ToString()).Select(e => e.Outcome).ToListAsync());
        Assert.Equal(["page", "json", "print"], formats);
    }

    [Fact]
    public async Task TwoExportsAtOnceAreBothCompleteAndBothAudited()
    {
        var (_, id, browser) = await SignedInAsync("ru");
        using var _ = browser;
        var both = await Task.WhenAll(browser.Client.GetAsync("/cabinet/my-data?handler=json"), browser.Client.GetAsync("/cabinet/my-data?handler=json"));
        var bodies = new List<string>();
        foreach (var response in both)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            bodies.Add(report.RootElement.GetProperty("profile").GetRawText());
        }
        Assert.Equal(bodies[0], bodies[1]);
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.exported" && e.Subject == id.ToString() && e.Outcome == "json")));
    }

    [Fact]
    public async Task NobodyElseGetsIt()
    {
        using var anonymous = _app.NewBrowser();
        foreach (var path in new[] { "/cabinet/my-data", "/cabinet/my-data?handler=json", "/cabinet/my-data/print" })
        {
            var response = await anonymous.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/login", response.Headers.Location?.OriginalString.Replace("https://localhost", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }
}

using System.Net;
using System.Text.Json;
using Derbes.Web.Consents;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Consents;

/// <summary>
/// The consent ledger (issue 5): decisions received by letter, with who entered them and the letter; the
/// withdrawal of processing consent closing the account, or refused with reasons; the proof of consent with the
/// exact words; the customer's own readable ledger; and verify-consents catching an edited record.
/// </summary>
public sealed class ConsentLedgerTests : IClassFixture<ConsentLedgerTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public ConsentLedgerTests(App app) => _app = app;

    private async Task<(NewCustomer Customer, Guid Id, Browser Browser)> CustomerAsync(bool adEmail = false)
    {
        var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        await Journeys.RegisterAsync(browser, customer, [Journeys.Document()], Journeys.Fields(customer, adEmail: adEmail));
        await Journeys.ConfirmEmailAsync(_app, browser, customer);
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var id = await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        return (customer, id, browser);
    }

    private async Task<(StaffLogin Officer, Browser Browser, WebPage Record)> OfficerOnRecordAsync(Guid customer)
    {
        var officer = await StaffJourneys.CreateAsync(_app, StaffRoles.PrivacyOfficer);
        var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, officer);
        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{customer}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "REQ-2026-31" });
        return (officer, browser, record);
    }

    private static Task<WebPage> LetterAsync(Browser browser, WebPage record, string purpose, string decision, string letter = "ВХ-2026-15", string obligation = "") =>
        browser.SubmitAsync(record, new Dictionary<string, string>
        {
            ["LetterPurpose"] = purpose,
            ["Decision"] = decision,
            ["Letter"] = letter,
            ["Obligation"] = obligation,
        }, formSelector: "main form[action*='handler=letter']");

    [Fact]
    public async Task AWithdrawalByLetterNamesTheStaffMemberAndTheLetterAndTheCustomerReadsItInTheirCabinet()
    {
        var (customer, id, customerBrowser) = await CustomerAsync(adEmail: true);
        using var _ = customerBrowser;
        var (officer, browser, record) = await OfficerOnRecordAsync(id);
        using var __ = browser;

        var missing = await LetterAsync(browser, record, "", "", letter: " ");
        Assert.Equal(_app.Text("Consents.PurposeRequired"), missing.ErrorText("letter-purpose-error"));
        Assert.Equal(_app.Text("Consents.DecisionRequired"), missing.ErrorText("decision-error"));
        Assert.Equal(_app.Text("Consents.LetterRequired"), missing.ErrorText("letter-error"));
        var attestation = await LetterAsync(browser, record, "OwnDataAttestation", "Withdraw");
        Assert.Contains(_app.Text("Consents.Letter.NotAllowed"), attestation.Text, StringComparison.Ordinal);

        var done = await LetterAsync(browser, record, "AdvertisingEmail", "Withdraw");
        Assert.Contains(_app.Text("Consents.Letter.Done"), done.Text, StringComparison.Ordinal);
        var entry = await _app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal(ConsentPurpose.AdvertisingEmail, entry.Purpose);
        Assert.False(entry.Granted);
        Assert.Equal(ConsentAction.Withdraw, entry.Action);
        Assert.Equal(ConsentChannel.StaffEntry, entry.Channel);
        Assert.Equal(officer.Id, entry.StaffId);
        Assert.Equal("ВХ-2026-15", entry.Reference);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.from-letter" && e.Subject == id.ToString() && e.Outcome == "AdvertisingEmail:Withdraw PrivacyRequest:REQ-2026-31")));
        var again = await LetterAsync(browser, done, "AdvertisingEmail", "Withdraw");
        Assert.Contains(_app.Text("Consents.Letter.Unchanged"), again.Text, StringComparison.Ordinal);

        // The customer reads it in words, and sees what they agree to now.
        await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password);
        var mine = await customerBrowser.GetAsync("/cabinet/consents");
        Assert.Equal(HttpStatusCode.OK, mine.Status);
        var history = mine.Document.QuerySelector("ol.ledger")!.TextContent;
        Assert.Contains(_app.Text("MyConsents.Channel.StaffEntry"), history, StringComparison.Ordinal);
        Assert.Contains(_app.Text("ConsentPurpose.AdvertisingEmail"), history, StringComparison.Ordinal);
        Assert.Contains(_app.Text("MyConsents.Channel.WebForm"), history, StringComparison.Ordinal);
        var now = mine.Document.QuerySelector("ul.consents-now")!.TextContent;
        Assert.Contains(_app.Text("MyConsents.DoNotAgree"), now, StringComparison.Ordinal);
        // The SMS box was left unticked at registration: "did not agree", never "withdrew".
        var sms = mine.Document.QuerySelectorAll("ol.ledger li").Single(li => li.TextContent.Contains(_app.Text("ConsentPurpose.AdvertisingSms"), StringComparison.Ordinal));
        var declined = _app.Text("MyConsents.Declined", "§", _app.Text("ConsentPurpose.AdvertisingSms"), 1, _app.Text("MyConsents.Channel.WebForm")).Split('§')[1];
        Assert.Equal(declined, sms.TextContent[(sms.TextContent.IndexOf(declined[..3], StringComparison.Ordinal))..]);
    }

    [Fact]
    public async Task WithdrawingProcessingByLetterClosesTheAccountAtOnceUnlessTheOfficerRefusesWithReasons()
    {
        var (customer, id, customerBrowser) = await CustomerAsync();
        using var _ = customerBrowser;
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password)).Url.AbsolutePath);
        var (_, browser, record) = await OfficerOnRecordAsync(id);
        using var __ = browser;

        // A refusal needs the open obligation, and changes nothing else.
        var noReason = await LetterAsync(browser, record, "Processing", "RefuseWithdrawal");
        Assert.Equal(_app.Text("Consents.ObligationRequired"), noReason.ErrorText("obligation-error"));
        var refused = await LetterAsync(browser, record, "Processing", "RefuseWithdrawal", obligation: "Договор №77");
        Assert.Contains(_app.Text("Consents.Letter.Done"), refused.Text, StringComparison.Ordinal);
        var refusal = await _app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal(ConsentAction.WithdrawalRefused, refusal.Action);
        Assert.True(refusal.Granted);
        Assert.Equal("Договор №77", refusal.Reference);
        Assert.Equal("/cabinet", (await customerBrowser.GetAsync("/cabinet")).Url.AbsolutePath);

        // Withdrawn: the account closes, the session ends at the next request, no sign-in and no reset link.
        await LetterAsync(browser, refused, "Processing", "Withdraw");
        var account = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.Id == id));
        Assert.Equal(Derbes.Web.Customers.AccountStatus.Closing, account.Status);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.closing" && e.Subject == id.ToString() && e.Outcome == "processing-consent-withdrawn:letter")));
        Assert.Equal("/account/login", (await customerBrowser.GetAsync("/cabinet")).Url.AbsolutePath);
        using var again = _app.NewBrowser();
        var closed = await Journeys.SignInAsync(again, customer.Email, customer.Password);
        // The right password leads only to the offer to undo the closure, not into the cabinet.
        Assert.Equal("/account/reopen", closed.Url.AbsolutePath);
        Assert.Contains(_app.Text("Reopen.Title"), closed.Text, StringComparison.Ordinal);
        Assert.Equal("/account/login", (await again.GetAsync("/cabinet")).Url.AbsolutePath);
        // The customer is told the account is closing and until when it can be undone.
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.ClosingStarted.Subject", "SMALL"));
        var mails = _app.Mail.All(customer.Email).Count;
        var forgot = await again.GetAsync("/account/forgot-password");
        await again.SubmitAsync(forgot, new Dictionary<string, string> { ["Input.Login"] = customer.Email });
        await Task.Delay(500);
        Assert.Equal(mails, _app.Mail.All(customer.Email).Count);
        // Processing cannot be granted again by letter: a closing account comes back only through the closure flow.
        var record2 = await browser.GetAsync(refused.Url.PathAndQuery);
        Assert.Contains(_app.Text("Consents.Letter.NotAllowed"), (await LetterAsync(browser, record2, "Processing", "Grant")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheProofOfConsentHoldsEveryRecordWithTheExactWordsAndIsMadeOnlyByTheOfficerWithAReason()
    {
        var (_, id, customerBrowser) = await CustomerAsync(adEmail: true);
        customerBrowser.Dispose();
        var (officer, browser, record) = await OfficerOnRecordAsync(id);
        using var _ = browser;
        await LetterAsync(browser, record, "ThirdPartyTransfer", "Grant", letter: "ВХ-2026-99");

        var link = record.Document.QuerySelector($"a[href^='/admin/customers/{id}/consents']")!.GetAttribute("href")!;
        var proof = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, proof.Status);
        Assert.Contains(_app.Text("Register.ConsentProcessing", 1), proof.Text, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Consents.ThirdPartyTransferText", 1), proof.Text, StringComparison.Ordinal);
        Assert.Contains("ВХ-2026-99", proof.Text, StringComparison.Ordinal);
        Assert.Contains($"{officer.FirstName} Жұмабаева", proof.Text, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Consents.LedgerIntact", await _app.WithDbAsync(db => db.ConsentRecords.CountAsync())), proof.Text, StringComparison.Ordinal);

        var json = await browser.Client.GetAsync(link + "&handler=json");
        Assert.Equal("attachment", json.Content.Headers.ContentDisposition?.DispositionType);
        using var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var records = document.RootElement.GetProperty("records").EnumerateArray().ToList();
        Assert.Equal(await _app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id)), records.Count);
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("text").GetString())));
        Assert.Equal("StaffEntry", records[^1].GetProperty("channel").GetString());
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.consent-proof" && e.Subject == id.ToString() && e.Actor == officer.Id.ToString())));

        // Without the grant the record asks for a reason first; Support cannot make it at all.
        using var stranger = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, stranger, await StaffJourneys.CreateAsync(_app, StaffRoles.PrivacyOfficer));
        Assert.NotNull((await stranger.GetAsync(link)).Document.QuerySelector("select#Reason"));
        using var support = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, support, await StaffJourneys.CreateAsync(_app, StaffRoles.Support));
        Assert.Equal(HttpStatusCode.Forbidden, (await support.Client.GetAsync($"/admin/customers/{id}/consents")).StatusCode);
    }

    [Fact]
    public async Task TheCustomerSwitchesEachOptionalConsentAtOnceAndEachSwitchIsARecordOfTheWordsShown()
    {
        var (customer, id, browser) = await CustomerAsync(adEmail: true);
        using var _ = browser;
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var page = await browser.GetAsync("/cabinet/consents");
        var shownWording = page.Document.QuerySelector("#switch-AdvertisingEmail .hint")!.TextContent;

        var withdrawn = await browser.SubmitAsync(page, formSelector: "#switch-AdvertisingEmail");
        Assert.Contains(_app.Text("MyConsents.Withdrawn"), withdrawn.Text, StringComparison.Ordinal);
        var record = await _app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal((ConsentPurpose.AdvertisingEmail, false, ConsentAction.Withdraw, ConsentChannel.WebForm), (record.Purpose, record.Granted, record.Action, record.Channel));
        Assert.Equal(shownWording, await _app.WithDbAsync(db => db.ConsentTexts.Where(t => t.Sha256 == record.TextSha256).Select(t => t.Text).SingleAsync()));
        using (var scope = _app.Services.CreateAsyncScope())
        {
            var agreed = await scope.ServiceProvider.GetRequiredService<ConsentLedger>().WhoHaveAgreedAsync([id], ConsentPurpose.AdvertisingEmail, CancellationToken.None);
            Assert.Empty(agreed);
        }

        // Third parties: given here, so a 3.5.1 transfer may now include this customer.
        var given = await browser.SubmitAsync(withdrawn, formSelector: "#switch-ThirdPartyTransfer");
        Assert.Contains(_app.Text("MyConsents.Given"), given.Text, StringComparison.Ordinal);
        using (var scope = _app.Services.CreateAsyncScope())
        {
            var agreed = await scope.ServiceProvider.GetRequiredService<ConsentLedger>().WhoHaveAgreedAsync([id], ConsentPurpose.ThirdPartyTransfer, CancellationToken.None);
            Assert.Contains(id, agreed);
        }
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.changed" && e.Subject == id.ToString())));
        // Each switch is told by email, naming the purpose and where it stands now.
        var told = new[]
        {
            (await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.ConsentChanged.Subject", "SMALL"))).TextBody ?? "",
            (await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.ConsentChanged.Subject", "SMALL"))).TextBody ?? "",
        };
        Assert.Contains(told, t => t.Contains(_app.Text("ConsentPurpose.AdvertisingEmail"), StringComparison.Ordinal) && t.Contains(_app.Text("MyConsents.DoNotAgree"), StringComparison.Ordinal));
        Assert.Contains(told, t => t.Contains(_app.Text("ConsentPurpose.ThirdPartyTransfer"), StringComparison.Ordinal) && t.Contains(_app.Text("MyConsents.Agree"), StringComparison.Ordinal));

        // A switch already in that position, or a purpose that is not optional, records nothing.
        var before = await _app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id));
        var stale = await browser.SubmitAsync(page, formSelector: "#switch-AdvertisingEmail");
        Assert.Equal(before, await _app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id)));
        var forged = await browser.SubmitAsync(stale, new Dictionary<string, string> { ["purpose"] = "Processing", ["agree"] = "false" }, formSelector: "#switch-AdvertisingSms");
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Equal(Derbes.Web.Customers.AccountStatus.Active, await _app.WithDbAsync(db => db.Users.Where(a => a.Id == id).Select(a => a.Status).SingleAsync()));
    }

    [Fact]
    public async Task VerifyConsentsWalksTheLedgerOfEveryShapeAndNamesAnEditedRecord()
    {
        using var app = new DerbesApp();
        using (var browser = app.NewBrowser())
        {
            await Journeys.RegisteredAndConfirmedAsync(app, browser);
        }
        var customers = await CustomerSeed.AddAsync(app, 3, _ => true);
        await CustomerSeed.RecordAsync(app, customers[1].Id, ConsentPurpose.ThirdPartyTransfer, granted: false);
        var intact = new StringWriter();
        Assert.Equal(0, await Commands.VerifyConsentsAsync(app.Services, intact, CancellationToken.None));
        Assert.Matches(@"consent ledger: intact \(\d+ records\)", intact.ToString());

        // Someone with database access turns a withdrawal back into a grant by changing the action only.
        var victim = await app.WithDbAsync(db => db.ConsentRecords.Where(c => c.AccountId == customers[1].Id && !c.Granted).Select(c => c.Id).SingleAsync());
        await app.WithDbAsync(db => db.ConsentRecords.Where(c => c.Id == victim).ExecuteUpdateAsync(s => s.SetProperty(c => c.Channel, ConsentChannel.Api)));
        var broken = new StringWriter();
        Assert.Equal(1, await Commands.VerifyConsentsAsync(app.Services, broken, CancellationToken.None));
        Assert.Contains($"consent ledger: BROKEN at record {victim}", broken.ToString(), StringComparison.Ordinal);
    }
}

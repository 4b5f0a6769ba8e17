using System.Net;
using System.Text;
using Derbes.Web.Consents;
using Derbes.Web.Documents;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Account;

public sealed class RegistrationTests : IClassFixture<RegistrationTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public RegistrationTests(App app) => _app = app;

    [Fact]
    public async Task CustomerRegistersWithADocumentConfirmsEmailAndPhoneThenSignsInByEitherAndOut()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();

        var done = await Journeys.RegisterAsync(browser, customer);
        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);

        // Until the email is confirmed, the right password does not sign in.
        var early = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/account/login", early.Url.AbsolutePath);
        Assert.Null(await CabinetOrNullAsync(browser));

        // The SMS code confirms the phone from the page after registration.
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        var verify = await browser.GetAsync("/account/verify-phone");
        var verified = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: "main form:not([action*=handler])");
        Assert.Contains("alert success", verified.Body, StringComparison.Ordinal);

        var confirmed = await Journeys.ConfirmEmailAsync(_app, browser, customer);
        Assert.Contains("alert success", confirmed.Body, StringComparison.Ordinal);

        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        Assert.Contains(customer.FirstName, cabinet.Text, StringComparison.Ordinal);

        await browser.SubmitAsync(cabinet, formSelector: "main form[action='/account/logout']");
        Assert.Null(await CabinetOrNullAsync(browser));

        // By phone, typed another way than at registration.
        var byPhone = await Journeys.SignInAsync(browser, "+7 (" + customer.PhoneE164[2..5] + ") " + customer.PhoneE164[5..8] + "-" + customer.PhoneE164[8..10] + "-" + customer.PhoneE164[10..], customer.Password);
        Assert.Equal("/cabinet", byPhone.Url.AbsolutePath);
    }

    [Fact]
    public async Task TheRawDatabaseFileHoldsNoneOfACustomersNameEmailOrPhone()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone() with { FirstName = "Зарина" + Guid.NewGuid().ToString("N")[..6], LastName = "Qwertyuiop" + Guid.NewGuid().ToString("N")[..6] };
        await Journeys.RegisterAsync(browser, customer);
        await _app.Mail.WaitForAsync(customer.Email);
        await _app.Sms.WaitForAsync(customer.PhoneE164);

        var raw = await _app.RawDatabaseAsync();
        foreach (var secret in new[] { customer.FirstName, customer.LastName, customer.Email, customer.PhoneE164, customer.PhoneE164[1..], customer.PhoneE164[2..] })
        {
            Assert.False(Contains(raw, Encoding.UTF8.GetBytes(secret)), $"'{secret}' found in the database file (UTF-8)");
            Assert.False(Contains(raw, Encoding.Unicode.GetBytes(secret)), $"'{secret}' found in the database file (UTF-16)");
        }
    }

    [Fact]
    public async Task EachConsentIsRecordedWithEditionLanguageTextHashTimeIpAndUserAgent()
    {
        using var browser = _app.NewBrowser();
        browser.Client.DefaultRequestHeaders.UserAgent.ParseAdd("DerbesTest/1.0 (phone)");
        var customer = Journeys.Someone("ru");
        var form = await browser.GetAsync("/account/register?lang=ru");
        var fields = Journeys.Fields(customer, adEmail: true, adSms: false, thirdParty: true);
        await browser.SubmitAsync(form, fields, [Journeys.Document()]);
        await _app.Mail.WaitForAsync(customer.Email);

        var records = await _app.WithDbAsync(async db =>
        {
            var account = await db.Users.SingleAsync(a => a.Id == db.ConsentRecords.OrderByDescending(c => c.Id).First().AccountId);
            return await db.ConsentRecords.Where(c => c.AccountId == account.Id).OrderBy(c => c.Id).ToListAsync();
        });
        Assert.Equal(
            [ConsentPurpose.Processing, ConsentPurpose.OwnDataAttestation, ConsentPurpose.AdvertisingEmail, ConsentPurpose.AdvertisingSms, ConsentPurpose.ThirdPartyTransfer],
            records.Select(r => r.Purpose).ToArray());
        Assert.True(records[0].Granted);
        Assert.True(records[2].Granted);
        Assert.False(records[3].Granted);
        Assert.True(records[4].Granted);
        // The third-party box's own words, as shown, are what the record proves.
        var thirdParty = await _app.WithDbAsync(db => db.ConsentTexts.SingleAsync(t => t.Sha256 == records[4].TextSha256));
        Assert.Contains(thirdParty.Text, form.Text, StringComparison.Ordinal);
        Assert.All(records, r =>
        {
            Assert.Equal(1, r.EditionNumber);
            Assert.Equal("ru", r.Language);
            Assert.Equal(64, r.TextSha256.Length);
            Assert.Equal("DerbesTest/1.0 (phone)", r.UserAgent);
            Assert.True(r.At > _app.Clock.GetUtcNow().AddMinutes(-5));
        });
        // The hash proves the very words shown on the Russian page.
        var text = await _app.WithDbAsync(db => db.ConsentTexts.SingleAsync(t => t.Sha256 == records[0].TextSha256));
        Assert.Contains(text.Text, form.Text, StringComparison.Ordinal);
        Assert.Contains("1", text.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegistrationWithoutTheProcessingConsentFailsAndKeepsWhatWasTyped()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        var before = await _app.WithDbAsync(db => db.Users.CountAsync());
        var page = await Journeys.RegisterAsync(browser, customer, overrides: new Dictionary<string, string> { ["Input.AcceptProcessing"] = "false" });

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.NotEmpty(page.ErrorText("processing-error"));
        Assert.Equal(customer.Email, Value(page, "Input_Email"));
        Assert.Equal(customer.FirstName, Value(page, "Input_FirstName"));
        Assert.Equal("", Value(page, "Input_Password"));
        Assert.Equal(before, await _app.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task AnEmailOrPhoneAlreadyRegisteredGetsTheSameAnswerAndTheOwnerIsTold()
    {
        using var first = _app.NewBrowser();
        var owner = Journeys.Someone();
        var original = await Journeys.RegisterAsync(first, owner);
        await _app.Mail.WaitForAsync(owner.Email, subject: null);
        await _app.Mail.WaitForAsync(owner.Email, subject: null);

        using var second = _app.NewBrowser();
        var copycat = Journeys.Someone() with { Email = owner.Email.ToUpperInvariant() };
        var again = await Journeys.RegisterAsync(second, copycat);
        Assert.Equal(original.Status, again.Status);
        Assert.Equal(original.Url.AbsolutePath, again.Url.AbsolutePath);
        Assert.Equal(original.Text, again.Text);
        var notice = await _app.Mail.WaitForAsync(owner.Email);
        Assert.Contains("/account/forgot-password", notice.TextBody, StringComparison.Ordinal);

        using var third = _app.NewBrowser();
        var samePhone = Journeys.Someone() with { PhoneTyped = owner.PhoneE164, PhoneE164 = owner.PhoneE164 };
        var byPhone = await Journeys.RegisterAsync(third, samePhone);
        Assert.Equal(original.Text, byPhone.Text);
        await _app.Mail.WaitForAsync(owner.Email);

        Assert.Equal(1, await _app.WithDbAsync(db => db.Users.CountAsync(a => a.EmailIndex == _app.Service<Derbes.Web.Security.BlindIndex>().Email(owner.Email))));
    }

    [Fact]
    public async Task TheDocumentIsStoredSealedUnderAServerNameAwaitingReview()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        await Journeys.RegisterAsync(browser, customer, [new Upload("Documents", "мой паспорт.pdf", Derbes.Tests.Documents.SampleFiles.MinimalPdf(), "application/pdf")]);
        var index = _app.Service<Derbes.Web.Security.BlindIndex>().Email(customer.Email);
        var document = await _app.WithDbAsync(async db =>
        {
            var account = await db.Users.SingleAsync(a => a.EmailIndex == index);
            return await db.Documents.SingleAsync(d => d.AccountId == account.Id);
        });
        Assert.Equal(DocumentStatus.AwaitingReview, document.Status);
        Assert.Equal("application/pdf", document.ContentType);
        Assert.Matches("^[0-9a-f]{32}$", document.StorageName);
        var stored = await File.ReadAllBytesAsync(Path.Combine(_app.DataDirectory, "documents", document.StorageName[..2], document.StorageName));
        Assert.False(Contains(stored, Encoding.ASCII.GetBytes("%PDF")), "document bytes are stored in the clear");
    }

    [Fact]
    public async Task TheKeysThatSignSessionCookiesAreStoredEncryptedWithTheMasterKey()
    {
        using var browser = _app.NewBrowser();
        await browser.GetAsync("/account/login");
        var keys = await _app.WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml).ToListAsync());
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("encryptedKey", xml!, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml!, StringComparison.Ordinal);
        });
    }

    private static async Task<WebPage?> CabinetOrNullAsync(Browser browser)
    {
        var page = await browser.GetAsync("/cabinet");
        return page.Url.AbsolutePath == "/cabinet" && page.Status == HttpStatusCode.OK ? page : null;
    }

    private static string Value(WebPage page, string id) =>
        ((AngleSharp.Html.Dom.IHtmlInputElement)page.Document.GetElementById(id)!).Value;

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}

using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Customers;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Account;

/// <summary>
/// The six-digit SMS code that confirms the phone after registration (/account/verify-phone, reached from
/// /account/register/done): 10 minutes, 5 tries, single use, a new code only after a 60-second cool-down
/// (issue 2, SECURITY-CHECKS 21).
/// </summary>
public sealed class PhoneCodeTests : IClassFixture<PhoneCodeTests.App>
{
    public sealed class App : DerbesApp;

    private const string CodeForm = "main form:not([action*=handler])";
    private const string ResendForm = "main form[action*=handler]";

    private readonly App _app;

    public PhoneCodeTests(App app) => _app = app;

    [Fact]
    public async Task AWrongCodeIsRefusedNextToTheFieldAndConfirmsNothing()
    {
        var (browser, customer, verify, code) = await RegisteredAsync();
        using (browser)
        {
            var refused = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = WrongCode(code) }, formSelector: CodeForm);
            Assert.Equal(HttpStatusCode.OK, refused.Status);
            Assert.Equal("/account/verify-phone", refused.Url.AbsolutePath);
            Assert.Equal(_app.Text("Code.Invalid"), refused.ErrorText("code-error"));
            Assert.DoesNotContain(_app.Text("VerifyPhone.Done"), refused.Text, StringComparison.Ordinal);
            Assert.False(await PhoneConfirmedAsync(customer));
        }
    }

    [Fact]
    public async Task FiveWrongCodesBlockTheCodeEvenForTheRightOneUntilANewCodeIsSent()
    {
        var (browser, customer, verify, code) = await RegisteredAsync();
        using (browser)
        {
            for (var attempt = 1; attempt <= 4; attempt++)
            {
                var refused = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = WrongCode(code) }, formSelector: CodeForm);
                Assert.Equal(_app.Text("Code.Invalid"), refused.ErrorText("code-error"));
            }
            var fifth = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = WrongCode(code) }, formSelector: CodeForm);
            Assert.Equal(_app.Text("Code.TooManyAttempts"), fifth.ErrorText("code-error"));

            var right = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: CodeForm);
            Assert.Equal(_app.Text("Code.TooManyAttempts"), right.ErrorText("code-error"));
            Assert.False(await PhoneConfirmedAsync(customer));

            // The way out is a new code.
            _app.Clock.Advance(TimeSpan.FromSeconds(61));
            var resent = await browser.SubmitAsync(verify, formSelector: ResendForm);
            Assert.Contains(_app.Text("Code.Resent"), resent.Text, StringComparison.Ordinal);
            var fresh = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
            var confirmed = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = fresh }, formSelector: CodeForm);
            Assert.Contains(_app.Text("VerifyPhone.Done"), confirmed.Text, StringComparison.Ordinal);
            Assert.True(await PhoneConfirmedAsync(customer));
        }
    }

    [Fact]
    public async Task ResendWithinSixtySecondsIsRefusedWithACoolDownAndLaterSendsANewCodeThatVoidsTheOld()
    {
        var (browser, customer, verify, code) = await RegisteredAsync();
        using (browser)
        {
            var id = await AccountIdAsync(customer);

            var tooSoon = await browser.SubmitAsync(verify, formSelector: ResendForm);
            Assert.Equal(HttpStatusCode.OK, tooSoon.Status);
            Assert.Equal(_app.Text("Code.Cooldown", 60), tooSoon.ErrorText("code-error"));
            _app.Clock.Advance(TimeSpan.FromSeconds(45));
            var stillTooSoon = await browser.SubmitAsync(verify, formSelector: ResendForm);
            Assert.Equal(_app.Text("Code.Cooldown", 15), stillTooSoon.ErrorText("code-error"));
            Assert.DoesNotContain(_app.Text("Code.Resent"), stillTooSoon.Text, StringComparison.Ordinal);
            Assert.Equal(1, await PhoneCodesSentAsync(id));

            // After the cool-down: a new code, and the old one stops working.
            _app.Clock.Advance(TimeSpan.FromSeconds(16));
            var resent = await browser.SubmitAsync(verify, formSelector: ResendForm);
            Assert.Contains(_app.Text("Code.Resent"), resent.Text, StringComparison.Ordinal);
            Assert.Equal("", resent.ErrorText("code-error"));
            var fresh = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
            while (fresh == code)
            {
                // One chance in a million: the new code drew the same digits. Ask once more.
                _app.Clock.Advance(TimeSpan.FromSeconds(61));
                await browser.SubmitAsync(verify, formSelector: ResendForm);
                fresh = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
            }
            Assert.Equal(2, await PhoneCodesSentAsync(id));

            var old = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: CodeForm);
            Assert.Equal(_app.Text("Code.Invalid"), old.ErrorText("code-error"));
            Assert.False(await PhoneConfirmedAsync(customer));

            var confirmed = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = fresh }, formSelector: CodeForm);
            Assert.Contains(_app.Text("VerifyPhone.Done"), confirmed.Text, StringComparison.Ordinal);
            Assert.True(await PhoneConfirmedAsync(customer));
        }
    }

    [Fact]
    public async Task TheRightCodeConfirmsThePhoneAndCannotBeUsedTwice()
    {
        var (browser, customer, verify, code) = await RegisteredAsync();
        using (browser)
        {
            Assert.Matches("^[0-9]{6}$", code);
            var confirmed = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: CodeForm);
            Assert.Equal(HttpStatusCode.OK, confirmed.Status);
            Assert.Contains(_app.Text("VerifyPhone.Done"), confirmed.Text, StringComparison.Ordinal);
            Assert.True(await PhoneConfirmedAsync(customer));

            // Only a hash of the code was kept, and it is used up.
            var id = await AccountIdAsync(customer);
            var tokens = await _app.WithDbAsync(db => db.AccountTokens.AsNoTracking().Where(t => t.AccountId == id && t.Purpose == TokenPurpose.ConfirmPhone).ToListAsync());
            var stored = Assert.Single(tokens);
            Assert.NotNull(stored.UsedAt);
            Assert.DoesNotContain(code, stored.TokenHash, StringComparison.Ordinal);
            Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code))), stored.TokenHash);

            // The same form sent again with the same code is refused.
            var again = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: CodeForm);
            Assert.Equal(_app.Text("Code.Invalid"), again.ErrorText("code-error"));
            Assert.DoesNotContain(_app.Text("VerifyPhone.Done"), again.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ACodeExpiresAfterTenMinutes()
    {
        var (browser, customer, verify, code) = await RegisteredAsync();
        using (browser)
        {
            _app.Clock.Advance(TimeSpan.FromMinutes(10));
            var late = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: CodeForm);
            Assert.Equal(_app.Text("Code.Expired"), late.ErrorText("code-error"));
            Assert.False(await PhoneConfirmedAsync(customer));
        }
    }

    /// <summary>Registers in a new browser and opens the code page by the link on /account/register/done.</summary>
    private async Task<(Browser Browser, NewCustomer Customer, WebPage Verify, string Code)> RegisteredAsync()
    {
        var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        var done = await Journeys.RegisterAsync(browser, customer);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);
        var href = done.Document.QuerySelector("main a[href*='verify-phone']")?.GetAttribute("href");
        Assert.NotNull(href);
        var verify = await browser.GetAsync(href);
        Assert.Equal("/account/verify-phone", verify.Url.AbsolutePath);
        Assert.NotNull(verify.Form(CodeForm));
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        return (browser, customer, verify, code);
    }

    private Task<Guid> AccountIdAsync(NewCustomer customer)
    {
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        return _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
    }

    private async Task<bool> PhoneConfirmedAsync(NewCustomer customer)
    {
        var id = await AccountIdAsync(customer);
        return await _app.WithDbAsync(db => db.Users.Where(a => a.Id == id).Select(a => a.PhoneNumberConfirmed).SingleAsync());
    }

    /// <summary>Phone codes queued for the account (each one an SMS).</summary>
    private Task<int> PhoneCodesSentAsync(Guid accountId) =>
        _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.AccountId == accountId && m.Kind == "confirm-phone"));

    private static string WrongCode(string code) =>
        ((int.Parse(code, CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
}

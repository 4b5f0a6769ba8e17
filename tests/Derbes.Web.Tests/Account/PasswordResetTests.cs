using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Web;
using Derbes.Web.Customers;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Derbes.Web.Tests.Account;

/// <summary>
/// Password reset by emailed link and by SMS code, through the real pages (issue 2, SECURITY-CHECKS 17–21):
/// the same answer for known and unknown accounts, a strong hashed single-use token that lives an hour and
/// dies with any password change, a link built from configuration, pages that neither cache nor leak the
/// token, no sign-in, every session ended, a notice email, and limits that never lock the account.
/// </summary>
public sealed partial class PasswordResetTests : IClassFixture<PasswordResetTests.App>
{
    public sealed class App : DerbesApp;

    private const string ResetLinkPath = "/account/reset-password?token=";
    private const string NewPassword = "көктемде алма ағашы гүлдейді";

    private readonly App _app;

    public PasswordResetTests(App app) => _app = app;

    [Fact]
    public async Task ForgotPasswordAnswersTheSameForKnownAndUnknownEmailsAndPhones()
    {
        var customer = await CustomerAsync(_app);
        var unknownEmail = Journeys.Someone().Email;
        var unknownPhone = Journeys.Someone().PhoneTyped;

        using var browser = _app.NewBrowser();
        var known = await ForgotAsync(browser, customer.Email);
        var knownCookies = CookieNames(browser.Hops[0]);
        var unknown = await ForgotAsync(browser, unknownEmail);
        Assert.Equal(known.Status, unknown.Status);
        Assert.Equal(known.Url.PathAndQuery, unknown.Url.PathAndQuery);
        Assert.Equal(MainText(known), MainText(unknown));
        Assert.Equal(knownCookies, CookieNames(browser.Hops[0]));

        using var knownPhoneBrowser = _app.NewBrowser();
        var knownPhone = await ForgotAsync(knownPhoneBrowser, customer.PhoneTyped);
        var knownPhoneCookies = CookieNames(knownPhoneBrowser.Hops[0]);
        using var unknownPhoneBrowser = _app.NewBrowser();
        var unknownPhonePage = await ForgotAsync(unknownPhoneBrowser, unknownPhone);
        Assert.Equal(knownPhone.Status, unknownPhonePage.Status);
        Assert.Equal(knownPhone.Url.PathAndQuery, unknownPhonePage.Url.PathAndQuery);
        Assert.Equal(MainText(knownPhone), MainText(unknownPhonePage));
        Assert.Equal(knownPhoneCookies, CookieNames(unknownPhoneBrowser.Hops[0]));

        // The page where the code is typed is the same too, for the real and the made-up number.
        var knownEntry = await OpenCodeEntryAsync(knownPhoneBrowser, knownPhone);
        var unknownEntry = await OpenCodeEntryAsync(unknownPhoneBrowser, unknownPhonePage);
        Assert.Equal(knownEntry.Status, unknownEntry.Status);
        Assert.Equal(MainText(knownEntry), MainText(unknownEntry));

        // Only the real customer got anything.
        Assert.Contains(ResetLinkPath, (await ResetMailAsync(_app, customer)).TextBody, StringComparison.Ordinal);
        Assert.Matches("^[0-9]{6}$", await _app.Sms.WaitForCodeAsync(customer.PhoneE164));
    }

    [Fact]
    public async Task ForgotPasswordTakesTheSameTimeForKnownAndUnknownAccounts()
    {
        var minimum = TimeSpan.FromMilliseconds(200);
        using var app = new DerbesApp(new()
        {
            ["Accounts:ResetMinimumResponseTime"] = minimum.ToString("c", CultureInfo.InvariantCulture),
            // Every request for the real account does the full work (token, outbox), none is cut short by the hourly limit.
            ["Accounts:ResetRequestsPerHour"] = "100",
        });
        var customer = await CustomerAsync(app);
        var logins = new[] { customer.Email, Journeys.Someone().Email, customer.PhoneTyped, Journeys.Someone().PhoneTyped };
        var times = logins.Select(_ => new List<double>()).ToArray();
        using var browser = app.NewBrowser();
        var form = await browser.GetAsync("/account/forgot-password");
        for (var round = -1; round < 10; round++)
        {
            for (var i = 0; i < logins.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                var page = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Login"] = logins[i] });
                watch.Stop();
                Assert.Equal(HttpStatusCode.OK, page.Status);
                if (round >= 0)
                {
                    // Round -1 warms the code paths up and is not counted.
                    times[i].Add(watch.Elapsed.TotalMilliseconds);
                }
            }
        }
        var medians = times.Select(Median).ToArray();
        Assert.All(medians, m => Assert.True(m >= minimum.TotalMilliseconds, $"answered in {m:F0} ms, before the minimum"));
        AssertWithinTwentyPercent(medians[0], medians[1], "known and unknown email");
        AssertWithinTwentyPercent(medians[2], medians[3], "known and unknown phone");
        // The known account really was served: its requests issued tokens.
        var id = await AccountIdAsync(app, customer);
        Assert.Equal(11, await app.WithDbAsync(db => db.AccountTokens.CountAsync(t => t.AccountId == id && t.Purpose == TokenPurpose.ResetPasswordLink)));
        Assert.Equal(11, await app.WithDbAsync(db => db.AccountTokens.CountAsync(t => t.AccountId == id && t.Purpose == TokenPurpose.ResetPasswordCode)));
    }

    [Fact]
    public async Task TheResetLinkUsesTheConfiguredOriginEvenWhenTheRequestForgesItsHost()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        browser.Client.DefaultRequestHeaders.Host = "evil.example";
        browser.Client.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil.example");
        browser.Client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "http");
        var sent = await ForgotAsync(browser, customer.Email);
        Assert.Equal(HttpStatusCode.OK, sent.Status);

        var mail = await ResetMailAsync(_app, customer);
        var link = Mailbox.Link(mail, ResetLinkPath);
        Assert.StartsWith(DerbesApp.PublicUrl + ResetLinkPath, link, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", mail.TextBody, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("evil.example", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
        Assert.All(Links(mail.HtmlBody ?? ""), l => Assert.StartsWith(DerbesApp.PublicUrl + "/", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheResetTokenHasAtLeast128BitsAndTheDatabaseKeepsOnlyItsSha256Hash()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var token = TokenOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));

        Assert.Matches("^[A-Za-z0-9_-]+$", token);
        Assert.True(Base64Url.DecodeFromChars(token).Length >= 16, $"the token carries only {Base64Url.DecodeFromChars(token).Length * 8} bits");

        var id = await AccountIdAsync(_app, customer);
        var rows = await _app.WithDbAsync(db => db.AccountTokens.AsNoTracking().ToListAsync());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        Assert.Single(rows, r => r.AccountId == id && r.Purpose == TokenPurpose.ResetPasswordLink && r.TokenHash == hash);
        Assert.DoesNotContain(rows, r => r.TokenHash.Contains(token, StringComparison.Ordinal));

        // Nowhere in the database file (or its write-ahead log), in any table, is the token itself.
        var raw = await _app.RawDatabaseAsync();
        Assert.False(raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token)) >= 0, "the reset token is stored in the clear");
        Assert.False(raw.AsSpan().IndexOf(Encoding.Unicode.GetBytes(token)) >= 0, "the reset token is stored in the clear (UTF-16)");
    }

    [Fact]
    public async Task TheResetPageSendsNoReferrerAndNoStoreOnEveryAnswer()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var link = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));

        var form = await browser.GetAsync(link);
        Assert.NotNull(form.Form());
        AssertPrivate(form.Response, "GET with a valid link");

        AssertPrivate((await browser.GetAsync("/account/reset-password?token=not-a-real-token")).Response, "GET with an invalid link");

        var refused = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Password"] = "password1" });
        Assert.Equal(HttpStatusCode.OK, refused.Status);
        AssertPrivate(refused.Response, "POST refused by the password rules");

        await browser.SubmitAsync(refused, new Dictionary<string, string> { ["Password"] = NewPassword });
        Assert.Equal(HttpStatusCode.Redirect, browser.Hops[0].StatusCode);
        AssertPrivate(browser.Hops[0], "POST that set the password");

        using var byPhone = _app.NewBrowser();
        var entry = await OpenCodeEntryAsync(byPhone, await ForgotAsync(byPhone, customer.PhoneTyped));
        AssertPrivate(entry.Response, "GET of the code page");
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        var wrong = await byPhone.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = WrongCode(code), ["Password"] = NewPassword });
        Assert.Equal(_app.Text("Code.Invalid"), wrong.ErrorText("code-error"));
        AssertPrivate(wrong.Response, "POST of the code page");
    }

    [Fact]
    public async Task AResetLinkWorksOnceAndAReplayedLinkIsRefused()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var link = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));

        var form = await browser.GetAsync(link);
        var done = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Password"] = NewPassword });
        Assert.Equal("/account/login", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Reset.Done"), done.Text, StringComparison.Ordinal);

        // Opened again: no form, only the invalid-link message.
        var again = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Contains(_app.Text("Link.Invalid"), again.Text, StringComparison.Ordinal);
        Assert.Null(again.Document.QuerySelector("main form[method=post]"));

        // The form sent again with the same token sets nothing.
        var replay = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Password"] = "a third password nobody chose" });
        Assert.Equal("/account/reset-password", replay.Url.AbsolutePath);
        Assert.Contains(_app.Text("Link.Invalid"), replay.Text, StringComparison.Ordinal);

        Assert.False(await SignsInAsync(_app, customer.Email, "a third password nobody chose"));
        Assert.False(await SignsInAsync(_app, customer.Email, customer.Password));
        Assert.True(await SignsInAsync(_app, customer.Email, NewPassword));
    }

    [Fact]
    public async Task AResetLinkExpiresAfterSixtyMinutes()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var link = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));

        _app.Clock.Advance(TimeSpan.FromMinutes(59));
        var form = await browser.GetAsync(link);
        Assert.NotNull(form.Form());

        _app.Clock.Advance(TimeSpan.FromMinutes(2));
        var expired = await browser.GetAsync(link);
        Assert.Contains(_app.Text("Link.Expired"), expired.Text, StringComparison.Ordinal);
        Assert.Null(expired.Document.QuerySelector("main form[method=post]"));
        var late = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Password"] = NewPassword });
        Assert.Equal("/account/reset-password", late.Url.AbsolutePath);
        Assert.Contains(_app.Text("Link.Expired"), late.Text, StringComparison.Ordinal);

        Assert.False(await SignsInAsync(_app, customer.Email, NewPassword));
        Assert.True(await SignsInAsync(_app, customer.Email, customer.Password));
    }

    [Fact]
    public async Task ANewerResetLinkVoidsTheOlderOne()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var first = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));
        var firstForm = await browser.GetAsync(first);
        Assert.NotNull(firstForm.Form());

        await ForgotAsync(browser, customer.Email);
        var second = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));
        Assert.NotEqual(first, second);

        Assert.Contains(_app.Text("Link.Invalid"), (await browser.GetAsync(first)).Text, StringComparison.Ordinal);
        var stale = await browser.SubmitAsync(firstForm, new Dictionary<string, string> { ["Password"] = "an older link's password" });
        Assert.Contains(_app.Text("Link.Invalid"), stale.Text, StringComparison.Ordinal);

        var done = await browser.SubmitAsync(await browser.GetAsync(second), new Dictionary<string, string> { ["Password"] = NewPassword });
        Assert.Equal("/account/login", done.Url.AbsolutePath);
        Assert.False(await SignsInAsync(_app, customer.Email, "an older link's password"));
        Assert.True(await SignsInAsync(_app, customer.Email, NewPassword));
    }

    [Fact]
    public async Task AnyPasswordChangeVoidsEveryOutstandingResetLinkAndCode()
    {
        var customer = await CustomerAsync(_app);

        // A link and a code are both outstanding; the code is used: the link is dead.
        using var byEmail = _app.NewBrowser();
        await ForgotAsync(byEmail, customer.Email);
        var link = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));
        using var byPhone = _app.NewBrowser();
        var entry = await OpenCodeEntryAsync(byPhone, await ForgotAsync(byPhone, customer.PhoneTyped));
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        var linkForm = await byEmail.GetAsync(link);
        Assert.NotNull(linkForm.Form());

        var byCode = await byPhone.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = code, ["Password"] = NewPassword });
        Assert.Equal("/account/login", byCode.Url.AbsolutePath);
        Assert.Contains(_app.Text("Link.Invalid"), (await byEmail.GetAsync(link)).Text, StringComparison.Ordinal);
        var stale = await byEmail.SubmitAsync(linkForm, new Dictionary<string, string> { ["Password"] = "the link's password" });
        Assert.Contains(_app.Text("Link.Invalid"), stale.Text, StringComparison.Ordinal);

        // And the other way round: a code is outstanding, the link is used: the code is dead.
        using var byPhoneAgain = _app.NewBrowser();
        var entryAgain = await OpenCodeEntryAsync(byPhoneAgain, await ForgotAsync(byPhoneAgain, customer.PhoneTyped));
        var codeAgain = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        await ForgotAsync(byEmail, customer.Email);
        var linkAgain = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));
        var byLink = await byEmail.SubmitAsync(await byEmail.GetAsync(linkAgain), new Dictionary<string, string> { ["Password"] = "the link's password" });
        Assert.Equal("/account/login", byLink.Url.AbsolutePath);
        var deadCode = await byPhoneAgain.SubmitAsync(entryAgain, new Dictionary<string, string> { ["Code"] = codeAgain, ["Password"] = "the code's password" });
        Assert.Equal("/account/reset-password", deadCode.Url.AbsolutePath);
        Assert.NotEmpty(deadCode.ErrorText("code-error"));

        Assert.False(await SignsInAsync(_app, customer.Email, "the code's password"));
        Assert.True(await SignsInAsync(_app, customer.Email, "the link's password"));
    }

    [Fact]
    public async Task AResetDoesNotSignInSendsAPasswordChangedEmailAndEndsEverySession()
    {
        var customer = await CustomerAsync(_app);
        using var remembered = _app.NewBrowser();
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(remembered, customer.Email, customer.Password, remember: true)).Url.AbsolutePath);
        using var session = _app.NewBrowser();
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(session, customer.Email, customer.Password)).Url.AbsolutePath);

        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var link = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));
        var done = await browser.SubmitAsync(await browser.GetAsync(link), new Dictionary<string, string> { ["Password"] = NewPassword });

        // Not signed in: the browser is on the sign-in page and the cabinet sends it back there.
        Assert.Equal("/account/login", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Reset.Done"), done.Text, StringComparison.Ordinal);
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);

        // Both sessions opened before the reset end at their next request.
        Assert.Equal("/account/login", (await remembered.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal("/account/login", (await session.GetAsync("/cabinet")).Url.AbsolutePath);
        var id = await AccountIdAsync(_app, customer);
        var sessions = await _app.WithDbAsync(db => db.Sessions.AsNoTracking().Where(s => s.AccountId == id).ToListAsync());
        Assert.Equal(2, sessions.Count);
        Assert.All(sessions, s => Assert.NotNull(s.EndedAt));

        var subject = _app.TextIn(customer.Language, "Email.PasswordChanged.Subject", "SMALL");
        var notice = await NextMailAsync(_app, customer, m => m.Subject == subject);
        Assert.Contains(_app.TextIn(customer.Language, "Email.PasswordChanged.Body", "SMALL"), notice.TextBody, StringComparison.Ordinal);
        Assert.Contains(DerbesApp.PublicUrl + "/account/forgot-password", notice.TextBody, StringComparison.Ordinal);

        Assert.True(await SignsInAsync(_app, customer.Email, NewPassword));
    }

    [Fact]
    public async Task RequestingResetsNeverLocksTheAccountAndOnlyThreeAnHourSendAnything()
    {
        var customer = await CustomerAsync(_app);
        var id = await AccountIdAsync(_app, customer);
        using var browser = _app.NewBrowser();
        var first = await ForgotAsync(browser, customer.Email);
        for (var i = 2; i <= 10; i++)
        {
            var page = await ForgotAsync(browser, customer.Email);
            Assert.Equal(first.Status, page.Status);
            Assert.Equal(first.Url.PathAndQuery, page.Url.PathAndQuery);
            Assert.Equal(MainText(first), MainText(page));
        }

        // Ten requests, three emails.
        await OutboxDeliveredAsync(_app, id);
        Assert.Equal(3, ResetMails(_app, customer).Count);
        Assert.Equal(3, await _app.WithDbAsync(db => db.Outbox.CountAsync(m => m.AccountId == id && m.Kind == "reset-password")));

        // Not locked: the old password still signs in.
        var account = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.Id == id));
        Assert.Null(account.LockoutEnd);
        Assert.Equal(0, account.AccessFailedCount);
        Assert.True(await SignsInAsync(_app, customer.Email, customer.Password));

        // An hour later a request sends again.
        _app.Clock.Advance(TimeSpan.FromMinutes(61));
        await ForgotAsync(browser, customer.Email);
        await OutboxDeliveredAsync(_app, id);
        Assert.Equal(4, ResetMails(_app, customer).Count);
    }

    [Fact]
    public async Task ResetRequestsFromOneAddressAreLimitedWith429AndRetryAfter()
    {
        using var app = new DerbesApp(new() { ["RateLimits:AccountPostsPerWindow"] = "3" });
        using var browser = app.NewBrowser();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ForgotAsync(browser, Journeys.Someone().Email)).Status);
        }
        var limited = await ForgotAsync(browser, Journeys.Someone().Email);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.True(int.TryParse(limited.Header("Retry-After"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0, "Retry-After: " + limited.Header("Retry-After"));
    }

    [Fact]
    public async Task ResetByPhoneSendsASixDigitCodeThatSetsTheNewPasswordOnce()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        var sent = await ForgotAsync(browser, customer.PhoneTyped);
        Assert.Equal("/account/forgot-password/sent", sent.Url.AbsolutePath);
        var resetCookie = browser.Hops[0].Headers.GetValues("Set-Cookie").Single(c => c.Contains("derbes-reset=", StringComparison.Ordinal)).Split(';')[0];
        var sms = await _app.Sms.WaitForAsync(customer.PhoneE164);
        var code = SixDigits().Match(sms).Value;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.DoesNotMatch("[0-9]{7}", sms);

        var entry = await OpenCodeEntryAsync(browser, sent);
        var done = await browser.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = code, ["Password"] = NewPassword });
        Assert.Equal("/account/login", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Reset.Done"), done.Text, StringComparison.Ordinal);
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);

        // Someone holding the same reset cookie and the same code cannot use it again.
        using var replayer = _app.NewBrowser();
        replayer.Client.DefaultRequestHeaders.Add("Cookie", resetCookie);
        var replayEntry = await replayer.GetAsync("/account/reset-password?via=code");
        var replay = await replayer.SubmitAsync(replayEntry, new Dictionary<string, string> { ["Code"] = code, ["Password"] = "a third password nobody chose" });
        Assert.Equal("/account/reset-password", replay.Url.AbsolutePath);
        Assert.Equal(_app.Text("Code.Invalid"), replay.ErrorText("code-error"));

        Assert.False(await SignsInAsync(_app, customer.Email, customer.Password));
        Assert.False(await SignsInAsync(_app, customer.Email, "a third password nobody chose"));
        Assert.True(await SignsInAsync(_app, customer.Email, NewPassword));
        Assert.True(await SignsInAsync(_app, customer.PhoneTyped, NewPassword));
        await NextMailAsync(_app, customer, m => m.Subject == _app.TextIn(customer.Language, "Email.PasswordChanged.Subject", "SMALL"));
    }

    [Fact]
    public async Task FiveWrongResetCodesBlockTheCodeEvenForTheRightOne()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        var entry = await OpenCodeEntryAsync(browser, await ForgotAsync(browser, customer.PhoneTyped));
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        var wrong = WrongCode(code);

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var refused = await browser.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = wrong, ["Password"] = NewPassword });
            Assert.Equal(_app.Text("Code.Invalid"), refused.ErrorText("code-error"));
        }
        var fifth = await browser.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = wrong, ["Password"] = NewPassword });
        Assert.Equal(_app.Text("Code.TooManyAttempts"), fifth.ErrorText("code-error"));
        var right = await browser.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = code, ["Password"] = NewPassword });
        Assert.Equal("/account/reset-password", right.Url.AbsolutePath);
        Assert.Equal(_app.Text("Code.TooManyAttempts"), right.ErrorText("code-error"));

        Assert.False(await SignsInAsync(_app, customer.Email, NewPassword));
        Assert.True(await SignsInAsync(_app, customer.Email, customer.Password));
    }

    [Fact]
    public async Task AResetCodeExpiresAfterTenMinutes()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        var entry = await OpenCodeEntryAsync(browser, await ForgotAsync(browser, customer.PhoneTyped));
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);

        _app.Clock.Advance(TimeSpan.FromMinutes(10));
        var late = await browser.SubmitAsync(entry, new Dictionary<string, string> { ["Code"] = code, ["Password"] = NewPassword });
        Assert.Equal("/account/reset-password", late.Url.AbsolutePath);
        Assert.Equal(_app.Text("Code.Expired"), late.ErrorText("code-error"));

        Assert.False(await SignsInAsync(_app, customer.Email, NewPassword));
        Assert.True(await SignsInAsync(_app, customer.Email, customer.Password));
    }

    [Fact]
    public async Task TheNewPasswordMustFollowThePasswordRulesAndTheLinkKeepsWorkingForASecondTry()
    {
        var customer = await CustomerAsync(_app);
        using var browser = _app.NewBrowser();
        await ForgotAsync(browser, customer.Email);
        var link = PathOf(Mailbox.Link(await ResetMailAsync(_app, customer), ResetLinkPath));
        var form = await browser.GetAsync(link);

        var common = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Password"] = "password1" });
        Assert.Equal("/account/reset-password", common.Url.AbsolutePath);
        Assert.Equal(_app.Text("Password.Common"), common.ErrorText("password-error"));
        Assert.NotNull(common.Form());

        var local = customer.Email.Split('@')[0];
        var personal = await browser.SubmitAsync(common, new Dictionary<string, string> { ["Password"] = local + " менің құпиям" });
        Assert.Equal(_app.Text("Password.ContainsPersonalData"), personal.ErrorText("password-error"));

        // Neither was saved, and the very same link still sets a good password.
        Assert.False(await SignsInAsync(_app, customer.Email, "password1"));
        var done = await browser.SubmitAsync(await browser.GetAsync(link), new Dictionary<string, string> { ["Password"] = NewPassword });
        Assert.Equal("/account/login", done.Url.AbsolutePath);
        Assert.True(await SignsInAsync(_app, customer.Email, NewPassword));
    }

    // ---- The steps, written once ----

    /// <summary>A customer with a confirmed email and phone, signed out.</summary>
    internal static async Task<NewCustomer> CustomerAsync(DerbesApp app)
    {
        using var browser = app.NewBrowser();
        var customer = Journeys.Someone();
        var done = await Journeys.RegisterAsync(browser, customer);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);
        var code = await app.Sms.WaitForCodeAsync(customer.PhoneE164);
        var verify = await browser.GetAsync("/account/verify-phone");
        var verified = await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: "main form:not([action*=handler])");
        Assert.Contains("alert success", verified.Body, StringComparison.Ordinal);
        await Journeys.ConfirmEmailAsync(app, browser, customer);
        return customer;
    }

    private static async Task<WebPage> ForgotAsync(Browser browser, string login)
    {
        var form = await browser.GetAsync("/account/forgot-password");
        return await browser.SubmitAsync(form, new Dictionary<string, string> { ["Login"] = login });
    }

    /// <summary>Follows "enter the code" from the page that says an SMS was sent.</summary>
    private static async Task<WebPage> OpenCodeEntryAsync(Browser browser, WebPage sent)
    {
        Assert.Equal("/account/forgot-password/sent", sent.Url.AbsolutePath);
        var href = sent.Document.QuerySelector("main a[href*='via=code']")?.GetAttribute("href");
        Assert.NotNull(href);
        var entry = await browser.GetAsync(href);
        Assert.Equal("/account/reset-password", entry.Url.AbsolutePath);
        return entry;
    }

    private static Task<MimeMessage> ResetMailAsync(DerbesApp app, NewCustomer customer) =>
        NextMailAsync(app, customer, m => (m.TextBody ?? "").Contains(ResetLinkPath, StringComparison.Ordinal));

    /// <summary>The next message to the customer that matches, passing over others (confirmation, documents received).</summary>
    private static async Task<MimeMessage> NextMailAsync(DerbesApp app, NewCustomer customer, Func<MimeMessage, bool> wanted)
    {
        while (true)
        {
            var message = await app.Mail.WaitForAsync(customer.Email);
            if (wanted(message))
            {
                return message;
            }
        }
    }

    private static List<MimeMessage> ResetMails(DerbesApp app, NewCustomer customer) =>
        [.. app.Mail.All(customer.Email).Where(m => (m.TextBody ?? "").Contains(ResetLinkPath, StringComparison.Ordinal))];

    /// <summary>Waits until the worker has delivered every message queued for the account.</summary>
    private static async Task OutboxDeliveredAsync(DerbesApp app, Guid accountId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await app.WithDbAsync(db => db.Outbox.AnyAsync(m => m.AccountId == accountId && m.SentAt == null)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the outbox was not delivered");
            await Task.Delay(50);
        }
    }

    private static async Task<bool> SignsInAsync(DerbesApp app, string login, string password)
    {
        using var browser = app.NewBrowser();
        var page = await Journeys.SignInAsync(browser, login, password);
        return page.Url.AbsolutePath == "/cabinet" && page.Status == HttpStatusCode.OK;
    }

    private static Task<Guid> AccountIdAsync(DerbesApp app, NewCustomer customer)
    {
        var index = app.Service<BlindIndex>().Email(customer.Email);
        return app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
    }

    private static string MainText(WebPage page) => page.Document.QuerySelector("main")?.TextContent.Trim() ?? "";

    private static string CookieNames(HttpResponseMessage response) =>
        string.Join(",", (response.Headers.TryGetValues("Set-Cookie", out var values) ? values : []).Select(c => c.Split('=')[0]).Order(StringComparer.Ordinal));

    private static string PathOf(string link) => new Uri(link).PathAndQuery;

    private static string TokenOf(string link) => HttpUtility.ParseQueryString(new Uri(link).Query)["token"] ?? "";

    private static IEnumerable<string> Links(string html) => AnyLink().Matches(html).Select(m => m.Groups[1].Value);

    private static string WrongCode(string code) =>
        ((int.Parse(code, CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    private static void AssertPrivate(HttpResponseMessage response, string what)
    {
        Assert.True(response.Headers.TryGetValues("Referrer-Policy", out var policy), what + ": no Referrer-Policy");
        Assert.Equal("no-referrer", string.Join(",", policy));
        Assert.True(response.Headers.CacheControl?.NoStore == true, what + ": Cache-Control is '" + response.Headers.CacheControl + "'");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void AssertWithinTwentyPercent(double a, double b, string what) =>
        Assert.True(Math.Abs(a - b) <= 0.2 * Math.Min(a, b), $"{what}: medians {a:F0} ms and {b:F0} ms differ by more than 20 %");

    [GeneratedRegex(@"\b[0-9]{6}\b")]
    private static partial Regex SixDigits();

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex AnyLink();
}

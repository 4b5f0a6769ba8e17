using System.Globalization;
using System.Net;
using System.Text;
using Derbes.Web.Customers;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// The customer's profile at /cabinet/profile (issue 6): names, email (link to the new address, notices to the old
/// one), phone (SMS code to the new number), language; and the bad inputs: a name of 10,000 characters, an address or
/// number another customer holds (same answers, nothing changes), a replayed or expired link, five wrong codes, wrong
/// passwords counting towards the lockout, and the pending address never stored in the clear.
/// </summary>
public sealed class ProfileTests : IClassFixture<ProfileTests.App>
{
    public sealed class App : DerbesApp;

    private const string Site = "SMALL";
    private const string ChangeLinkPath = "/account/confirm-email-change";

    private readonly App _app;

    public ProfileTests(App app) => _app = app;

    [Fact]
    public async Task ANameOfTenThousandCharactersIsRefusedNextToTheFieldAndAValidNameIsResealedAuditedWithoutItAndNotified()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var huge = new string('Ә', 10_000);

        var refused = await browser.SubmitAsync(profile, new Dictionary<string, string> { ["Names.FirstName"] = huge }, formSelector: "#names-form");
        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Equal(_app.Text("Validation.TooLong"), refused.ErrorText("first-name-error"));
        Assert.Equal(customer.FirstName, await FirstNameAsync(id));
        Assert.Equal(0, await AuditCountAsync(id, "profile.names-changed"));

        var control = await browser.SubmitAsync(profile, new Dictionary<string, string> { ["Names.LastName"] = "Сәрсен\u0007ова" }, formSelector: "#names-form");
        Assert.Equal(_app.Text("Validation.NoControlCharacters"), control.ErrorText("last-name-error"));

        var saved = await browser.SubmitAsync(profile, new Dictionary<string, string> { ["Names.FirstName"] = "  Әлия ", ["Names.LastName"] = "Нұрланқызы" }, formSelector: "#names-form");
        Assert.Equal("/cabinet/profile", saved.Url.AbsolutePath);
        Assert.Contains(_app.Text("Profile.Names.Changed"), saved.Text, StringComparison.Ordinal);
        Assert.Equal("Әлия", saved.Form("#names-form").Elements.OfType<AngleSharp.Html.Dom.IHtmlInputElement>().Single(i => i.Name == "Names.FirstName").Value);
        Assert.Equal("Әлия", await FirstNameAsync(id));
        var entry = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Subject == id.ToString() && e.Action == "profile.names-changed"));
        Assert.Equal("first-name,last-name", entry.Outcome);
        var notice = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.NamesChanged.Subject", Site));
        Assert.Contains("Әлия", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Email.ProfileNotice.NotYou", "§").Split('§')[0], notice.TextBody, StringComparison.Ordinal);

        var same = await browser.SubmitAsync(saved, formSelector: "#names-form");
        Assert.Contains(_app.Text("Profile.Unchanged"), same.Text, StringComparison.Ordinal);
        Assert.Equal(1, await AuditCountAsync(id, "profile.names-changed"));
    }

    [Fact]
    public async Task AFullEmailChangeTellsTheOldAddressTwiceSendsTheLinkToTheNewOneAndMovesTheSignIn()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var newEmail = NewAddress();

        var asked = await RequestEmailChangeAsync(browser, profile, newEmail, customer.Password);
        Assert.Equal("/cabinet/profile", asked.Url.AbsolutePath);
        Assert.Contains(_app.Text("Profile.Email.Sent"), asked.Text, StringComparison.Ordinal);
        Assert.Contains(Masking.Email(newEmail), asked.Document.GetElementById("email-pending")!.TextContent, StringComparison.Ordinal);
        var askedNotice = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.EmailChangeRequested.Subject", Site));
        Assert.Contains(Masking.Email(newEmail), askedNotice.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(ChangeLinkPath, askedNotice.TextBody, StringComparison.Ordinal);
        var link = Path(Mailbox.Link(await _app.Mail.WaitForAsync(newEmail, _app.Text("Email.EmailChangeLink.Subject", Site)), ChangeLinkPath));

        // Opening the link (as a mail scanner would) changes nothing; the button does.
        using var other = _app.NewBrowser();
        var opened = await other.GetAsync(link);
        Assert.Contains("no-store", opened.Header("Cache-Control"), StringComparison.Ordinal);
        Assert.Equal("no-referrer", opened.Header("Referrer-Policy"));
        Assert.Equal(customer.Email, await EmailOfAsync(id));
        var done = await other.SubmitAsync(opened);
        Assert.Contains(_app.Text("ConfirmEmailChange.Done"), done.Text, StringComparison.Ordinal);
        Assert.Equal(newEmail, await EmailOfAsync(id));
        Assert.Equal(id, await IdByEmailAsync(newEmail));
        Assert.Null(await IdByEmailAsync(customer.Email));

        var changedNotice = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.EmailChanged.Subject", Site));
        Assert.Contains(Masking.Email(newEmail), changedNotice.TextBody, StringComparison.Ordinal);
        Assert.Equal(1, await AuditCountAsync(id, "profile.email-changed"));
        Assert.Equal(1, await AuditCountAsync(id, "profile.email-change-requested", "link-sent"));

        using var signIn = _app.NewBrowser();
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(signIn, newEmail, customer.Password)).Url.AbsolutePath);
        using var oldSignIn = _app.NewBrowser();
        var refused = await Journeys.SignInAsync(oldSignIn, customer.Email, customer.Password);
        Assert.Equal("/account/login", refused.Url.AbsolutePath);
        Assert.Contains(_app.Text("Login.Failed"), refused.Text, StringComparison.Ordinal);

        // The link again: used up, a clear page, nothing changes.
        var replayOpened = await other.GetAsync(link);
        Assert.Contains(_app.Text("Link.Invalid"), replayOpened.Text, StringComparison.Ordinal);
        Assert.Empty(replayOpened.Document.QuerySelectorAll("main form"));
        var replayed = await other.SubmitAsync(opened);
        Assert.Equal(HttpStatusCode.OK, replayed.Status);
        Assert.Contains(_app.Text("Link.Invalid"), replayed.Text, StringComparison.Ordinal);
        Assert.Equal(newEmail, await EmailOfAsync(id));
        Assert.Equal(1, await AuditCountAsync(id, "profile.email-changed"));
        Assert.Single(_app.Mail.All(customer.Email), m => m.Subject == _app.Text("Email.EmailChanged.Subject", Site));
    }

    [Fact]
    public async Task AnExpiredLinkALinkVoidedByANewerRequestAndALinkVoidedByAPasswordChangeChangeNothing()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;

        var first = NewAddress();
        await RequestEmailChangeAsync(browser, profile, first, customer.Password);
        var firstLink = Path(Mailbox.Link(await _app.Mail.WaitForAsync(first, _app.Text("Email.EmailChangeLink.Subject", Site)), ChangeLinkPath));
        var second = NewAddress();
        await RequestEmailChangeAsync(browser, profile, second, customer.Password);
        var secondLink = Path(Mailbox.Link(await _app.Mail.WaitForAsync(second, _app.Text("Email.EmailChangeLink.Subject", Site)), ChangeLinkPath));

        using var other = _app.NewBrowser();
        Assert.Contains(_app.Text("Link.Invalid"), (await other.GetAsync(firstLink)).Text, StringComparison.Ordinal);
        var valid = await other.GetAsync(secondLink);
        Assert.Contains(_app.Text("ConfirmEmailChange.Lead"), valid.Text, StringComparison.Ordinal);

        _app.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        Assert.Contains(_app.Text("Link.Expired"), (await other.GetAsync(secondLink)).Text, StringComparison.Ordinal);
        var late = await other.SubmitAsync(valid);
        Assert.Contains(_app.Text("Link.Expired"), late.Text, StringComparison.Ordinal);
        Assert.Equal(customer.Email, await EmailOfAsync(id));

        // A password changed since the request voids the link (its security stamp).
        using var again = _app.NewBrowser();
        await Journeys.SignInAsync(again, customer.Email, customer.Password);
        var third = NewAddress();
        await RequestEmailChangeAsync(again, await again.GetAsync("/cabinet/profile"), third, customer.Password);
        var thirdLink = Path(Mailbox.Link(await _app.Mail.WaitForAsync(third, _app.Text("Email.EmailChangeLink.Subject", Site)), ChangeLinkPath));
        await _app.WithDbAsync(db => db.Users.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.SecurityStamp, Guid.NewGuid().ToString("N"))));
        Assert.Contains(_app.Text("Link.Invalid"), (await other.GetAsync(thirdLink)).Text, StringComparison.Ordinal);
        Assert.Equal(customer.Email, await EmailOfAsync(id));
        Assert.Equal(0, await AuditCountAsync(id, "profile.email-changed"));
    }

    [Fact]
    public async Task AnAddressAnotherCustomerHoldsGetsTheSameAnswerTheHolderANeutralNoticeAndNothingChanges()
    {
        var (holder, holderId, holderBrowser, _) = await SignedInAsync();
        holderBrowser.Dispose();
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var holderMailBefore = _app.Mail.All(holder.Email).Count;

        var free = await RequestEmailChangeAsync(browser, profile, NewAddress(), customer.Password);
        var taken = await RequestEmailChangeAsync(browser, profile, holder.Email.ToUpperInvariant(), customer.Password);

        // The same status, page, notice and pending line as for a free address.
        Assert.Equal(free.Status, taken.Status);
        Assert.Equal(free.Url, taken.Url);
        Assert.Equal(Shape(free), Shape(taken));
        Assert.Contains(_app.Text("Profile.Email.Sent"), taken.Text, StringComparison.Ordinal);
        Assert.Contains(Masking.Email(holder.Email), taken.Document.GetElementById("email-pending")!.TextContent, StringComparison.Ordinal);
        // The customer's own address is told of both requests alike.
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.EmailChangeRequested.Subject", Site));
        var askedTaken = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.EmailChangeRequested.Subject", Site));
        Assert.Contains(Masking.Email(holder.Email), askedTaken.TextBody, StringComparison.Ordinal);

        // The holder: a neutral notice, never a link that could move their address.
        var neutral = await _app.Mail.WaitForAsync(holder.Email, _app.Text("Email.EmailAddressInUse.Subject", Site));
        Assert.DoesNotContain(ChangeLinkPath, neutral.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Masking.Email(customer.Email), neutral.TextBody, StringComparison.Ordinal);
        Assert.Equal(holderMailBefore + 1, _app.Mail.All(holder.Email).Count);
        Assert.DoesNotContain(_app.Mail.All(holder.Email), m => (m.TextBody ?? "").Contains(ChangeLinkPath, StringComparison.Ordinal));

        Assert.Equal(customer.Email, await EmailOfAsync(id));
        Assert.Equal(holder.Email, await EmailOfAsync(holderId));
        Assert.Equal(1, await AuditCountAsync(id, "profile.email-change-requested", "address-held"));
        Assert.Equal(1, await AuditCountAsync(holderId, "profile.email-claimed", "notified-holder"));
    }

    [Fact]
    public async Task TwoCustomersOpeningTheirLinksForOneAddressAtOnceNeverShareItTheSecondIsToldNothingChanged()
    {
        var (first, firstId, firstBrowser, firstProfile) = await SignedInAsync();
        using var _ = firstBrowser;
        var (second, secondId, secondBrowser, secondProfile) = await SignedInAsync();
        using var __ = secondBrowser;
        var contested = NewAddress();

        await RequestEmailChangeAsync(firstBrowser, firstProfile, contested, first.Password);
        var firstLink = Path(Mailbox.Link(await _app.Mail.WaitForAsync(contested, _app.Text("Email.EmailChangeLink.Subject", Site)), ChangeLinkPath));
        await RequestEmailChangeAsync(secondBrowser, secondProfile, contested, second.Password);
        var secondLink = Path(Mailbox.Link(await _app.Mail.WaitForAsync(contested, _app.Text("Email.EmailChangeLink.Subject", Site)), ChangeLinkPath));

        using var a = _app.NewBrowser();
        using var b = _app.NewBrowser();
        var (openedA, openedB) = (await a.GetAsync(firstLink), await b.GetAsync(secondLink));
        var results = await Task.WhenAll(a.SubmitAsync(openedA), b.SubmitAsync(openedB));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Single(results, r => r.Text.Contains(_app.Text("ConfirmEmailChange.Done"), StringComparison.Ordinal));
        Assert.Single(results, r => r.Text.Contains(_app.Text("ConfirmEmailChange.Taken"), StringComparison.Ordinal));
        var owner = await IdByEmailAsync(contested);
        Assert.Contains(owner, new Guid?[] { firstId, secondId });
        var loser = owner == firstId ? (Id: secondId, Customer: second) : (Id: firstId, Customer: first);
        Assert.Equal(loser.Customer.Email, await EmailOfAsync(loser.Id));
        // Refused either by the check before saving or, when both passed it together, by the unique index.
        var refusal = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Subject == loser.Id.ToString() && e.Action == "profile.email-change-failed").Select(e => e.Outcome).SingleAsync());
        Assert.Contains(refusal, new[] { "address-held", "lost-race" });
        Assert.Equal(0, await AuditCountAsync(loser.Id, "profile.email-changed"));
    }

    [Fact]
    public async Task ThePendingNewEmailIsNeverStoredInTheClear()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var newEmail = "pending." + Guid.NewGuid().ToString("N")[..12] + "@example.kz";

        await RequestEmailChangeAsync(browser, profile, newEmail, customer.Password);
        await _app.Mail.WaitForAsync(newEmail, _app.Text("Email.EmailChangeLink.Subject", Site));
        var token = await _app.WithDbAsync(db => db.AccountTokens.AsNoTracking().SingleAsync(t => t.AccountId == id && t.Purpose == TokenPurpose.ChangeEmail));
        Assert.NotNull(token.SealedPayload);

        var raw = await _app.RawDatabaseAsync();
        foreach (var secret in new[] { newEmail, newEmail.Split('@')[0] })
        {
            Assert.False(raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0, $"'{secret}' found in the database (UTF-8)");
            Assert.False(raw.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) >= 0, $"'{secret}' found in the database (UTF-16)");
        }
    }

    [Fact]
    public async Task WrongPasswordsCountTowardsTheSignInLockoutAndALockedAccountSendsNothing()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var target = NewAddress();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var wrong = await RequestEmailChangeAsync(browser, profile, target, "not the password at all");
            Assert.Equal(_app.Text("Profile.WrongPassword"), wrong.ErrorText("email-password-error"));
            Assert.Equal(target, wrong.Form("#email-form").Elements.OfType<AngleSharp.Html.Dom.IHtmlInputElement>().Single(i => i.Name == "Email.NewEmail").Value);
            Assert.Equal("", wrong.Form("#email-form").Elements.OfType<AngleSharp.Html.Dom.IHtmlInputElement>().Single(i => i.Name == "Email.Password").Value);
        }
        var fifth = await RequestEmailChangeAsync(browser, profile, target, "not the password at all");
        Assert.Equal(_app.Text("Profile.LockedOut"), fifth.ErrorText("email-password-error"));

        // Now even the right password does nothing here, and signing in is refused like any failed sign-in.
        var right = await RequestEmailChangeAsync(browser, profile, target, customer.Password);
        Assert.Equal(_app.Text("Profile.LockedOut"), right.ErrorText("email-password-error"));
        var phone = await browser.SubmitAsync(profile, new Dictionary<string, string> { ["Phone.NewPhone"] = Journeys.Someone().PhoneTyped, ["Phone.Password"] = customer.Password }, formSelector: "#phone-form");
        Assert.Equal(_app.Text("Profile.LockedOut"), phone.ErrorText("phone-password-error"));
        using var signIn = _app.NewBrowser();
        Assert.Contains(_app.Text("Login.Failed"), (await Journeys.SignInAsync(signIn, customer.Email, customer.Password)).Text, StringComparison.Ordinal);
        Assert.Empty(_app.Mail.All(target));
        Assert.Equal(1, await AuditCountAsync(id, "account.locked"));
        Assert.Equal(0, await _app.WithDbAsync(db => db.AccountTokens.CountAsync(t => t.AccountId == id && t.Purpose == TokenPurpose.ChangeEmail)));

        // After the lock, the password works again.
        _app.Clock.Advance(TimeSpan.FromMinutes(16));
        var after = await RequestEmailChangeAsync(browser, await browser.GetAsync("/cabinet/profile"), target, customer.Password);
        Assert.Contains(_app.Text("Profile.Email.Sent"), after.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APhoneChangeTakesEffectOnlyWithTheRightCodeAndTheEmailIsTold()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var next = Journeys.Someone();

        var wrongPassword = await RequestPhoneChangeAsync(browser, profile, next.PhoneTyped, "wrong password");
        Assert.Equal(_app.Text("Profile.WrongPassword"), wrongPassword.ErrorText("phone-password-error"));
        var notKazakh = await RequestPhoneChangeAsync(browser, profile, "+7 912 345 67 89", customer.Password);
        Assert.Equal(_app.Text("Validation.Phone"), notKazakh.ErrorText("new-phone-error"));

        var sent = await RequestPhoneChangeAsync(browser, profile, next.PhoneTyped, customer.Password);
        Assert.Contains(_app.Text("Profile.Phone.Sent"), sent.Text, StringComparison.Ordinal);
        Assert.Contains(Masking.Phone(next.PhoneE164), sent.Document.GetElementById("phone-pending")!.TextContent, StringComparison.Ordinal);
        var code = await _app.Sms.WaitForCodeAsync(next.PhoneE164);

        var tooSoon = await browser.SubmitAsync(sent, formSelector: "#resend-form");
        Assert.Contains(_app.Text("Code.Cooldown", "§").Split('§')[0], tooSoon.ErrorText("code-error"), StringComparison.Ordinal);

        var wrong = await browser.SubmitAsync(sent, new Dictionary<string, string> { ["Code.Value"] = WrongCode(code) }, formSelector: "#code-form");
        Assert.Equal(_app.Text("Code.Invalid"), wrong.ErrorText("code-error"));
        Assert.Equal(customer.PhoneE164, await PhoneOfAsync(id));

        var changed = await browser.SubmitAsync(sent, new Dictionary<string, string> { ["Code.Value"] = code }, formSelector: "#code-form");
        Assert.Contains(_app.Text("Profile.Phone.Changed"), changed.Text, StringComparison.Ordinal);
        Assert.Null(changed.Document.GetElementById("code-form"));
        Assert.Equal(next.PhoneE164, await PhoneOfAsync(id));
        var index = _app.Service<BlindIndex>().Phone(next.PhoneE164);
        Assert.True(await _app.WithDbAsync(db => db.Users.AnyAsync(a => a.Id == id && a.PhoneIndex == index && a.PhoneNumberConfirmed)));
        var notice = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.PhoneChanged.Subject", Site));
        Assert.Contains(Masking.Phone(next.PhoneE164), notice.TextBody, StringComparison.Ordinal);
        Assert.Equal(1, await AuditCountAsync(id, "profile.phone-changed"));

        // The new number signs in; the old one no longer does.
        using var byPhone = _app.NewBrowser();
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(byPhone, next.PhoneTyped, customer.Password)).Url.AbsolutePath);
        using var byOld = _app.NewBrowser();
        Assert.Equal("/account/login", (await Journeys.SignInAsync(byOld, customer.PhoneTyped, customer.Password)).Url.AbsolutePath);
    }

    [Fact]
    public async Task FiveWrongCodesLockTheChangeEvenForTheRightCodeAndNoNewCodeComesWithoutThePassword()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;
        var next = Journeys.Someone();
        var sent = await RequestPhoneChangeAsync(browser, profile, next.PhoneTyped, customer.Password);
        var code = await _app.Sms.WaitForCodeAsync(next.PhoneE164);

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var wrong = await browser.SubmitAsync(sent, new Dictionary<string, string> { ["Code.Value"] = WrongCode(code) }, formSelector: "#code-form");
            Assert.Equal(_app.Text("Code.Invalid"), wrong.ErrorText("code-error"));
        }
        var fifth = await browser.SubmitAsync(sent, new Dictionary<string, string> { ["Code.Value"] = WrongCode(code) }, formSelector: "#code-form");
        Assert.Equal(_app.Text("Profile.Phone.Locked"), fifth.ErrorText("new-phone-error"));
        Assert.Null(fifth.Document.GetElementById("code-form"));

        var right = await browser.SubmitAsync(sent, new Dictionary<string, string> { ["Code.Value"] = code }, formSelector: "#code-form");
        Assert.DoesNotContain(_app.Text("Profile.Phone.Changed"), right.Text, StringComparison.Ordinal);
        _app.Clock.Advance(TimeSpan.FromSeconds(61));
        await browser.SubmitAsync(sent, formSelector: "#resend-form");
        Assert.Equal(customer.PhoneE164, await PhoneOfAsync(id));
        Assert.Equal(0, await AuditCountAsync(id, "profile.phone-changed"));
        Assert.Equal(0, await AuditCountAsync(id, "profile.phone-code-resent"));
        await Assert.ThrowsAsync<TimeoutException>(() => _app.Sms.WaitForAsync(next.PhoneE164, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task ANumberAnotherCustomerHoldsGetsTheSameAnswersAndIsRefusedOnlyAfterTheCode()
    {
        var (holder, holderId, holderBrowser, _) = await SignedInAsync();
        holderBrowser.Dispose();
        await _app.Sms.WaitForAsync(holder.PhoneE164); // the registration's code
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;

        var sent = await RequestPhoneChangeAsync(browser, profile, holder.PhoneTyped, customer.Password);
        Assert.Contains(_app.Text("Profile.Phone.Sent"), sent.Text, StringComparison.Ordinal);
        Assert.Contains(Masking.Phone(holder.PhoneE164), sent.Document.GetElementById("phone-pending")!.TextContent, StringComparison.Ordinal);
        var code = await _app.Sms.WaitForCodeAsync(holder.PhoneE164);

        var refused = await browser.SubmitAsync(sent, new Dictionary<string, string> { ["Code.Value"] = code }, formSelector: "#code-form");
        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Equal(_app.Text("Profile.Phone.Taken"), refused.ErrorText("new-phone-error"));
        Assert.Equal(customer.PhoneE164, await PhoneOfAsync(id));
        Assert.Equal(holder.PhoneE164, await PhoneOfAsync(holderId));
        Assert.Equal(1, await AuditCountAsync(id, "profile.phone-change-failed", "number-held"));
        Assert.DoesNotContain(_app.Mail.All(customer.Email), m => m.Subject == _app.Text("Email.PhoneChanged.Subject", Site));
    }

    [Fact]
    public async Task ThePreferredLanguageChangesTheEmailsAndTheSitesCookie()
    {
        var (customer, id, browser, profile) = await SignedInAsync();
        using var _ = browser;

        var invalid = await browser.SubmitAsync(profile, new Dictionary<string, string> { ["language"] = "de" }, formSelector: "#language-form");
        Assert.Equal(_app.Text("Validation.Invalid"), invalid.ErrorText("language-error"));

        var changed = await browser.SubmitAsync(profile, new Dictionary<string, string> { ["language"] = "ru" }, formSelector: "#language-form");
        Assert.Contains(browser.Hops[0].Headers.GetValues("Set-Cookie"), c => c.StartsWith("derbes-lang=c%3Dru%7Cuic%3Dru", StringComparison.Ordinal));
        Assert.Contains(_app.TextIn("ru", "Profile.Language.Changed"), changed.Text, StringComparison.Ordinal);
        Assert.Equal("ru", changed.Document.DocumentElement.GetAttribute("lang"));
        Assert.Equal("ru", await _app.WithDbAsync(db => db.Users.Where(a => a.Id == id).Select(a => a.PreferredLanguage).SingleAsync()));
        var notice = await _app.Mail.WaitForAsync(customer.Email, _app.TextIn("ru", "Email.LanguageChanged.Subject", Site));
        Assert.Contains(_app.TextIn("ru", "Language.ru"), notice.TextBody, StringComparison.Ordinal);
        Assert.Equal(1, await AuditCountAsync(id, "profile.language-changed", "kk->ru"));
    }

    [Fact]
    public async Task TheProfileNeedsASignedInCustomer()
    {
        using var browser = _app.NewBrowser();
        var page = await browser.GetAsync("/cabinet/profile");
        Assert.Equal("/account/login", page.Url.AbsolutePath);
    }

    private async Task<(NewCustomer Customer, Guid Id, Browser Browser, WebPage Profile)> SignedInAsync()
    {
        var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var id = (await IdByEmailAsync(customer.Email))!.Value;
        var profile = await browser.GetAsync("/cabinet/profile");
        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal("/cabinet/profile", profile.Url.AbsolutePath);
        return (customer, id, browser, profile);
    }

    private static Task<WebPage> RequestEmailChangeAsync(Browser browser, WebPage profile, string newEmail, string password) =>
        browser.SubmitAsync(profile, new Dictionary<string, string> { ["Email.NewEmail"] = newEmail, ["Email.Password"] = password }, formSelector: "#email-form");

    private static Task<WebPage> RequestPhoneChangeAsync(Browser browser, WebPage profile, string newPhone, string password) =>
        browser.SubmitAsync(profile, new Dictionary<string, string> { ["Phone.NewPhone"] = newPhone, ["Phone.Password"] = password }, formSelector: "#phone-form");

    private static string NewAddress() => "new." + Guid.NewGuid().ToString("N")[..10] + "@example.kz";

    private static string Path(string link) => new Uri(link).PathAndQuery;

    /// <summary>The page as structure: its elements and classes, with the masked address taken out.</summary>
    private static string Shape(WebPage page) =>
        string.Join("|", page.Document.QuerySelectorAll("main *").Select(e => e.TagName + "." + e.ClassName + "#" + e.Id));

    private static string WrongCode(string code) =>
        ((int.Parse(code, CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    private Task<Guid?> IdByEmailAsync(string email)
    {
        var index = _app.Service<BlindIndex>().Email(email);
        return _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => (Guid?)a.Id).SingleOrDefaultAsync());
    }

    private Task<int> AuditCountAsync(Guid id, string action, string? outcome = null) =>
        _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == id.ToString() && e.Action == action && (outcome == null || e.Outcome == outcome)));

    private async Task<Profile> ProfileOfAsync(Guid id)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Derbes.Web.Data.DerbesDb>();
        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == id);
        return scope.ServiceProvider.GetRequiredService<AccountDirectory>().Open(account);
    }

    private async Task<string> FirstNameAsync(Guid id) => (await ProfileOfAsync(id)).FirstName;

    private async Task<string> EmailOfAsync(Guid id) => (await ProfileOfAsync(id)).Email;

    private async Task<string?> PhoneOfAsync(Guid id) => (await ProfileOfAsync(id)).Phone;
}

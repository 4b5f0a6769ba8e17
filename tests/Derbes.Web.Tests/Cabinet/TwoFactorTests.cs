using System.Net;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using OtpNet;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// A customer's optional two-step sign-in (issue 6): enrolment with a first code, ten recovery codes shown once
/// and stored only hashed, sign-in in two steps, a recovery code working once, new codes and turning it off with
/// the password and a code; each step audited and told by email.
/// </summary>
public sealed class TwoFactorTests : IClassFixture<SecurityPageTests.App>
{
    private const string Phone = "2.72.10.20";
    private readonly SecurityPageTests.App _app;

    public TwoFactorTests(SecurityPageTests.App app) => _app = app;

    private Task<WebPage> TwoStepSignInAsync(Browser browser, NewCustomer customer) => Journeys.SignInAsync(browser, customer.Email, customer.Password);

    [Fact]
    public async Task ACustomerTurnsOnTwoStepSignInUsesARecoveryCodeOnceAndTurnsItOff()
    {
        using var browser = SecurityPageTests.Device(_app, SecurityPageTests.Android, Phone);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var id = await SecurityPageTests.AccountIdAsync(_app, customer);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        // Enrolment: a wrong first code turns nothing on.
        var enrol = await browser.GetAsync("/cabinet/security/two-factor");
        Assert.Contains("no-store", enrol.Header("Cache-Control"), StringComparison.Ordinal);
        var key = enrol.Document.QuerySelector("code.key")!.TextContent.Trim();
        Assert.NotNull(enrol.Document.QuerySelector("img.qr[src^='data:image/svg+xml;base64,']"));
        var wrong = await browser.SubmitAsync(enrol, new Dictionary<string, string> { ["Code"] = "000000" }, formSelector: "#enable-form");
        Assert.Equal(_app.Text("TwoFactor.Invalid"), wrong.ErrorText("code-error"));
        Assert.False(await _app.WithDbAsync(db => db.Users.Where(a => a.Id == id).Select(a => a.TwoFactorEnabled).SingleAsync()));

        var code = new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(_app.Clock.GetUtcNow().UtcDateTime);
        var codesPage = await browser.SubmitAsync(wrong, new Dictionary<string, string> { ["Code"] = code }, formSelector: "#enable-form");
        Assert.Equal(HttpStatusCode.OK, codesPage.Status);
        var codes = codesPage.Document.QuerySelectorAll("ul.recovery-codes code").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[a-z2-9]{5}-[a-z2-9]{5}$", c));
        Assert.Equal(["ok"], await SecurityPageTests.AuditAsync(_app, id, "2fa.enabled"));
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.TwoFactorEnabled.Subject", "SMALL"));

        // Only hashes are stored: no code appears anywhere in the database.
        var raw = System.Text.Encoding.UTF8.GetString(await _app.RawDatabaseAsync());
        Assert.All(codes, c => Assert.DoesNotContain(c, raw, StringComparison.Ordinal));
        Assert.All(codes, c => Assert.DoesNotContain(c.Replace("-", "", StringComparison.Ordinal), raw, StringComparison.Ordinal));

        // The codes are shown once: the page now says how many are left, not which.
        var again = await browser.GetAsync("/cabinet/security/two-factor");
        Assert.Empty(again.Document.QuerySelectorAll("ul.recovery-codes"));
        Assert.Contains(_app.Text("Security.TwoFactor.CodesLeft", 10), again.Text, StringComparison.Ordinal);

        // Signing in now takes two steps.
        using var other = SecurityPageTests.Device(_app, SecurityPageTests.Windows, "203.0.113.90");
        var second = await TwoStepSignInAsync(other, customer);
        Assert.Equal("/account/login/two-factor", second.Url.AbsolutePath);
        Assert.Equal("/account/login", (await other.GetAsync("/cabinet")).Url.AbsolutePath);

        // A recovery code instead of the authenticator (typed in capitals, with a space): it works once.
        var typed = codes[3].ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal);
        var recovered = await other.SubmitAsync(second, new Dictionary<string, string> { ["RecoveryCode"] = typed }, formSelector: "#recovery-form");
        Assert.Equal("/cabinet", recovered.Url.AbsolutePath);
        Assert.Equal(["left:9"], await SecurityPageTests.AuditAsync(_app, id, "2fa.recovery-code-used"));
        var used = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.RecoveryCodeUsed.Subject", "SMALL"));
        Assert.Contains(_app.Text("Email.RecoveryCodeUsed.Body", "SMALL", 9), used.TextBody, StringComparison.Ordinal);

        using var third = SecurityPageTests.Device(_app, SecurityPageTests.Windows, "203.0.113.91");
        var step = await TwoStepSignInAsync(third, customer);
        var reused = await third.SubmitAsync(step, new Dictionary<string, string> { ["RecoveryCode"] = codes[3] }, formSelector: "#recovery-form");
        Assert.Equal("/account/login/two-factor", reused.Url.AbsolutePath);
        Assert.Equal(_app.Text("TwoFactor.Invalid"), reused.ErrorText("recovery-error"));
        Assert.Contains("wrong-recovery-code", await SecurityPageTests.AuditAsync(_app, id, "signin.failed"));
        Assert.Equal("/account/login", (await third.GetAsync("/cabinet")).Url.AbsolutePath);

        // The authenticator's code signs in too.
        var withCode = await third.SubmitAsync(reused, new Dictionary<string, string> { ["Code"] = SecurityPageTests.NextCode(_app, key) });
        Assert.Equal("/cabinet", withCode.Url.AbsolutePath);
        var history = (await third.GetAsync("/cabinet/security")).Document.QuerySelector("table.history")!.TextContent;
        Assert.Contains(_app.Text("Security.Event.SignedInWithRecoveryCode"), history, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Security.Event.WrongRecoveryCode"), history, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Security.Event.SignedInWithCode"), history, StringComparison.Ordinal);

        // New codes need the password; the old ones then stop working.
        var manage = await browser.GetAsync("/cabinet/security/two-factor");
        var refused = await browser.SubmitAsync(manage, new Dictionary<string, string> { ["Password"] = "not my password" }, formSelector: "#codes-form");
        Assert.Equal(_app.Text("Security.WrongPassword"), refused.ErrorText("codes-password-error"));
        Assert.Empty(refused.Document.QuerySelectorAll("ul.recovery-codes"));
        var renewed = await browser.SubmitAsync(manage, new Dictionary<string, string> { ["Password"] = customer.Password }, formSelector: "#codes-form");
        var newCodes = renewed.Document.QuerySelectorAll("ul.recovery-codes code").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(10, newCodes.Count);
        Assert.Empty(newCodes.Intersect(codes));
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.RecoveryCodesRenewed.Subject", "SMALL"));
        using var fourth = SecurityPageTests.Device(_app, SecurityPageTests.Windows, "203.0.113.92");
        var oldCode = await fourth.SubmitAsync(await TwoStepSignInAsync(fourth, customer), new Dictionary<string, string> { ["RecoveryCode"] = codes[5] }, formSelector: "#recovery-form");
        Assert.Equal("/account/login/two-factor", oldCode.Url.AbsolutePath);

        // Turning it off takes the password and a code; a wrong code keeps it on.
        manage = await browser.GetAsync("/cabinet/security/two-factor");
        var noCode = await browser.SubmitAsync(manage, new Dictionary<string, string> { ["Password"] = customer.Password, ["Code"] = "123456" }, formSelector: "#disable-form");
        Assert.Equal(_app.Text("TwoFactor.Invalid"), noCode.ErrorText("disable-code-error"));
        Assert.True(await _app.WithDbAsync(db => db.Users.Where(a => a.Id == id).Select(a => a.TwoFactorEnabled).SingleAsync()));
        var off = await browser.SubmitAsync(manage, new Dictionary<string, string> { ["Password"] = customer.Password, ["Code"] = SecurityPageTests.NextCode(_app, key) }, formSelector: "#disable-form");
        Assert.Equal("/cabinet/security", off.Url.AbsolutePath);
        Assert.Contains(_app.Text("Security.TwoFactor.Disabled"), off.Text, StringComparison.Ordinal);
        Assert.Equal(["ok"], await SecurityPageTests.AuditAsync(_app, id, "2fa.disabled"));
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.TwoFactorDisabled.Subject", "SMALL"));
        Assert.Equal(0, await _app.WithDbAsync(db => db.UserTokens.CountAsync(t => t.UserId == id)));

        // One step again.
        using var fifth = SecurityPageTests.Device(_app, SecurityPageTests.Windows, "203.0.113.93");
        Assert.Equal("/cabinet", (await TwoStepSignInAsync(fifth, customer)).Url.AbsolutePath);
    }

    [Fact]
    public async Task ACustomerWithoutTwoStepSignInIsNeverAskedForACodeAndCannotUseTheRecoveryStep()
    {
        using var browser = SecurityPageTests.Device(_app, SecurityPageTests.Android, Phone);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        // Without a pending sign-in, the second step sends back to the first.
        using var stranger = _app.NewBrowser();
        Assert.Equal("/account/login", (await stranger.GetAsync("/account/login/two-factor")).Url.AbsolutePath);
    }

    [Fact]
    public async Task StaffCannotTurnOffTheirSecondFactorFromTheCabinet()
    {
        var staff = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        using var browser = _app.NewBrowser();
        Assert.Equal("/admin", (await StaffJourneys.SignInAsync(_app, browser, staff)).Url.AbsolutePath);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/cabinet/security/two-factor")).Status);
        Assert.True(await _app.WithDbAsync(db => db.Users.Where(a => a.Id == staff.Id).Select(a => a.TwoFactorEnabled).SingleAsync()));
    }
}

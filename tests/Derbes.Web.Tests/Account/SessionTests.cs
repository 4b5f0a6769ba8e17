using System.Net;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Net.Http.Headers;

namespace Derbes.Web.Tests.Account;

/// <summary>Sessions and their cookie: SECURITY-CHECKS 11–14 and 37, with the fake clock for every timeout.</summary>
public sealed class SessionTests : IClassFixture<SessionTests.App>
{
    public sealed class App : DerbesApp;

    private const string SessionCookie = "__Host-derbes";
    private static readonly Uri Site = new("https://localhost");

    private readonly App _app;

    public SessionTests(App app) => _app = app;

    [Fact]
    public async Task TheSessionCookieIsHostPrefixedSecureHttpOnlyLaxAtTheRootWithoutDomain()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);

        var cookie = SessionCookieSetBy(browser.Hops[0]);
        Assert.NotNull(cookie);
        Assert.True(cookie.Secure, "Secure");
        Assert.True(cookie.HttpOnly, "HttpOnly");
        Assert.Equal(SameSiteMode.Lax, cookie.SameSite);
        Assert.Equal("/", cookie.Path.Value);
        Assert.False(cookie.Domain.HasValue, "a __Host- cookie has no Domain");
    }

    [Fact]
    public async Task SignInIssuesANewSessionCookieNeverOneThatWasThereBefore()
    {
        using var browser = NewBrowser(out var jar);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        // A value planted by someone else before sign-in (session fixation) is replaced, and opens nothing.
        jar.Add(Site, new Cookie(SessionCookie, "planted-by-someone-else") { Secure = true, Path = "/" });
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var first = SessionCookieSetBy(browser.Hops[0])?.Value.Value;
        Assert.NotNull(first);
        Assert.NotEqual("planted-by-someone-else", first);
        Assert.NotEqual("planted-by-someone-else", jar.GetCookies(Site)[SessionCookie]?.Value);
        Assert.True(await CanOpenCabinetAsync(browser));
        Assert.Equal(HttpStatusCode.Redirect, (await ReplayAsync("planted-by-someone-else")).StatusCode);

        // Signing in again, even while signed in, gives yet another cookie.
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var second = SessionCookieSetBy(browser.Hops[0])?.Value.Value;
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task RememberMeGivesAFourteenDayCookieAndOtherwiseOneThatEndsWithTheBrowser()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        await Journeys.SignInAsync(browser, customer.Email, customer.Password, remember: false);
        var session = SessionCookieSetBy(browser.Hops[0]);
        Assert.NotNull(session);
        Assert.Null(session.Expires);
        Assert.Null(session.MaxAge);

        await Journeys.SignInAsync(browser, customer.Email, customer.Password, remember: true);
        var remembered = SessionCookieSetBy(browser.Hops[0]);
        Assert.NotNull(remembered);
        var expires = remembered.Expires ?? _app.Clock.GetUtcNow() + (remembered.MaxAge ?? TimeSpan.Zero);
        Assert.InRange(expires, _app.Clock.GetUtcNow().AddDays(14).AddMinutes(-1), _app.Clock.GetUtcNow().AddDays(14).AddMinutes(1));
    }

    [Fact]
    public async Task ACustomerSessionEndsAfterThirtyIdleMinutes()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        _app.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.True(await CanOpenCabinetAsync(browser), "29 idle minutes ended the session");

        _app.Clock.Advance(TimeSpan.FromMinutes(31));
        var page = await browser.GetAsync("/cabinet");
        Assert.Equal("/account/login", page.Url.AbsolutePath);
    }

    [Fact]
    public async Task ActivityKeepsASessionAliveButNeverBeyondTwelveHours()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        // A request every 20 minutes for 11 h 40 min: never idle for 30 minutes.
        for (var i = 1; i <= 35; i++)
        {
            _app.Clock.Advance(TimeSpan.FromMinutes(20));
            Assert.True(await CanOpenCabinetAsync(browser), $"the session ended after {i * 20} active minutes");
        }

        // 21 minutes later: not idle for long, but 12 hours and a minute since sign-in.
        _app.Clock.Advance(TimeSpan.FromMinutes(21));
        var page = await browser.GetAsync("/cabinet");
        Assert.Equal("/account/login", page.Url.AbsolutePath);
    }

    [Fact]
    public async Task ARememberedSessionOutlastsIdleHoursAndEndsAfterFourteenDays()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password, remember: true);

        _app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.True(await CanOpenCabinetAsync(browser), "a remembered session ended after 2 idle hours");
        _app.Clock.Advance(TimeSpan.FromDays(13));
        Assert.True(await CanOpenCabinetAsync(browser), "a remembered session ended after 13 days");

        _app.Clock.Advance(TimeSpan.FromDays(1));
        var page = await browser.GetAsync("/cabinet");
        Assert.Equal("/account/login", page.Url.AbsolutePath);
    }

    [Fact]
    public async Task SigningOutEndsTheSessionAndItsOldCookieNoLongerOpensTheCabinet()
    {
        using var browser = NewBrowser(out var jar);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var stolen = jar.GetCookies(Site)[SessionCookie]?.Value;
        Assert.NotNull(stolen);
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(stolen)).StatusCode);

        var signedOut = await browser.SubmitAsync(cabinet, formSelector: "main form[action='/account/logout']");
        Assert.Equal(HttpStatusCode.OK, signedOut.Status);
        Assert.Null(jar.GetCookies(Site)[SessionCookie]);
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);

        // A copy of the cookie taken before sign-out (another tab, a proxy log, malware) is dead on the server too.
        var replayed = await ReplayAsync(stolen);
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.Equal("/account/login", replayed.Headers.Location?.AbsolutePath);

        // Other devices of the same customer stay signed in: only this session ended.
        using var phone = NewBrowser(out _);
        await Journeys.SignInAsync(phone, customer.Email, customer.Password);
        using var laptop = NewBrowser(out _);
        var laptopCabinet = await Journeys.SignInAsync(laptop, customer.Email, customer.Password);
        await laptop.SubmitAsync(laptopCabinet, formSelector: "main form[action='/account/logout']");
        Assert.True(await CanOpenCabinetAsync(phone), "signing out on one device signed out another");
    }

    [Fact]
    public async Task APasswordResetEndsAnExistingSessionAtItsNextRequest()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.True(await CanOpenCabinetAsync(browser));

        // Someone with access to the mailbox resets the password from another device.
        using var other = NewBrowser(out _);
        var forgot = await other.GetAsync("/account/forgot-password");
        await other.SubmitAsync(forgot, new Dictionary<string, string> { ["Login"] = customer.Email });
        var mail = await _app.Mail.WaitForAsync(customer.Email);
        while (!(mail.TextBody ?? "").Contains("/account/reset-password", StringComparison.Ordinal))
        {
            mail = await _app.Mail.WaitForAsync(customer.Email);
        }
        var link = new Uri(Mailbox.Link(mail, "/account/reset-password"));
        var reset = await other.GetAsync(link.PathAndQuery);
        var done = await other.SubmitAsync(reset, new Dictionary<string, string> { ["Password"] = "көктемгі жаңбырдан кейінгі кемпірқосақ" });
        Assert.Equal("/account/login", done.Url.AbsolutePath);

        var page = await browser.GetAsync("/cabinet");
        Assert.Equal("/account/login", page.Url.AbsolutePath);
    }

    [Fact]
    public async Task AfterSignInTheReturnUrlLeadsOnlyToLocalPages()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        // A local address is honoured, so the refusals below are a choice, not an ignored parameter.
        var privacy = await Journeys.SignInAsync(browser, customer.Email, customer.Password, returnUrl: "/privacy");
        Assert.Equal("/privacy", privacy.Url.AbsolutePath);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password, returnUrl: "/cabinet");
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);

        foreach (var returnUrl in new[] { "//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "/\t/evil.example", "\\\\evil.example" })
        {
            var page = await Journeys.SignInAsync(browser, customer.Email, customer.Password, returnUrl: returnUrl);
            var where = string.Join(" → ", browser.Hops.Select(h => h.Headers.Location?.OriginalString ?? ((int)h.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.True(page.Url.AbsolutePath == "/cabinet" && page.Status == HttpStatusCode.OK, $"returnUrl '{returnUrl}' led to {where}");
            Assert.DoesNotContain(browser.Hops, h => h.Headers.Location?.OriginalString.Contains("evil", StringComparison.Ordinal) == true);
        }
    }

    [Fact]
    public async Task AGetToTheSignOutAddressDoesNotSignOut()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        // An <img src="/account/logout"> on any page must not sign anyone out.
        await browser.GetAsync("/account/logout");
        Assert.True(await CanOpenCabinetAsync(browser));
    }

    [Fact]
    public async Task SigningOutWithoutTheAntiforgeryTokenIsRefused()
    {
        using var browser = NewBrowser(out _);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        var forged = await browser.SubmitAsync(cabinet, formSelector: "main form[action='/account/logout']", dropAntiforgery: true);
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.True(await CanOpenCabinetAsync(browser));
    }

    /// <summary>A browser whose cookie jar the test can read and plant into.</summary>
    private Browser NewBrowser(out CookieContainer jar)
    {
        jar = new CookieContainer();
        return new Browser(_app.CreateDefaultClient(Site, new CookieContainerHandler(jar)));
    }

    /// <summary>GET /cabinet with nothing but the given session cookie, as from another machine.</summary>
    private async Task<HttpResponseMessage> ReplayAsync(string cookieValue)
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = Site, AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cabinet");
        request.Headers.Add("Cookie", $"{SessionCookie}={cookieValue}");
        return await client.SendAsync(request);
    }

    /// <summary>The session cookie a response sets (the last one with a value: sign-in first clears any old one).</summary>
    private static SetCookieHeaderValue? SessionCookieSetBy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? SetCookieHeaderValue.ParseList([.. values]).LastOrDefault(c => c.Name.Value == SessionCookie && c.Value.Length > 0)
            : null;

    private static async Task<bool> CanOpenCabinetAsync(Browser browser)
    {
        var page = await browser.GetAsync("/cabinet");
        return page.Status == HttpStatusCode.OK && page.Url.AbsolutePath == "/cabinet";
    }
}

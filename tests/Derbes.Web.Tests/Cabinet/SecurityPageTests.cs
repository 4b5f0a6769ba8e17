using System.Net;
using Derbes.Tests.Security;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// The cabinet's security page (issue 6, SECURITY-CHECKS 14–16): changing the password with the current one,
/// the list of sessions with device, place and "this device", ending one of them, and the recent sign-ins.
/// Each browser here has its own user agent and address, and the site has a place database (MaxMind format).
/// </summary>
public sealed class SecurityPageTests : IClassFixture<SecurityPageTests.App>
{
    public const string Android = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    public const string Windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
    public const string Almaty = "2.72.10.20";

    public sealed class App() : DerbesApp(new() { ["Sessions:GeoDatabase"] = PlaceDatabase() })
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddTransient<IStartupFilter, PeerFromTestHeader>());
        }

        private static string PlaceDatabase()
        {
            var path = Path.Combine(Path.GetTempPath(), "derbes-tests", "places-" + Guid.NewGuid().ToString("N") + ".mmdb");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            new MaxMindTestDatabase()
                .Add("2.72.0.0/16", MaxMindTestDatabase.City(
                    "KZ",
                    new Dictionary<string, object> { ["en"] = "Kazakhstan", ["ru"] = "Казахстан", ["kk"] = "Қазақстан" },
                    new Dictionary<string, object> { ["en"] = "Almaty", ["ru"] = "Алматы", ["kk"] = "Алматы" }))
                .Write(path, "GeoLite2-City", "en", "ru", "kk");
            return path;
        }
    }

    /// <summary>TestServer has no peer address: each test browser names its own in a header.</summary>
    public sealed class PeerFromTestHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                if (context.Request.Headers["X-Test-Peer"].FirstOrDefault() is { } peer)
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private readonly App _app;

    public SecurityPageTests(App app) => _app = app;

    /// <summary>A browser with its own user agent and address.</summary>
    public static Browser Device(DerbesApp app, string userAgent, string address)
    {
        ArgumentNullException.ThrowIfNull(app);
        var browser = app.NewBrowser();
        browser.Client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        browser.Client.DefaultRequestHeaders.Add("X-Test-Peer", address);
        return browser;
    }

    public static async Task<Guid> AccountIdAsync(DerbesApp app, NewCustomer customer)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(customer);
        var index = app.Service<BlindIndex>().Email(customer.Email);
        return await app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
    }

    public static Task<List<string>> AuditAsync(DerbesApp app, Guid account, string action) =>
        app.WithDbAsync(db => db.AuditEntries.Where(e => e.Subject == account.ToString() && e.Action == action).OrderBy(e => e.Id).Select(e => e.Outcome).ToListAsync());

    private static async Task<bool> SignedInAsync(Browser browser)
    {
        var page = await browser.GetAsync("/cabinet");
        return page.Status == HttpStatusCode.OK && page.Url.AbsolutePath == "/cabinet";
    }

    private static Task<WebPage> ChangePasswordAsync(Browser browser, string current, string next) =>
        browser.GetAsync("/cabinet/security/password").ContinueWith(t => browser.SubmitAsync(t.Result, new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = current,
            ["Input.NewPassword"] = next,
        })).Unwrap();

    [Fact]
    public async Task AWrongCurrentPasswordChangesNothingAndTheRightOneEndsTheOtherSessionsKeepsThisOneAndTellsTheCustomer()
    {
        using var laptop = Device(_app, Windows, "203.0.113.9");
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, laptop);
        var id = await AccountIdAsync(_app, customer);
        await Journeys.SignInAsync(laptop, customer.Email, customer.Password);
        using var phone = Device(_app, Android, Almaty);
        await Journeys.SignInAsync(phone, customer.Email, customer.Password);

        var wrong = await ChangePasswordAsync(laptop, "not my password at all", "жаңа ұзын құпия сөз 2026 көктем");
        Assert.Equal(HttpStatusCode.OK, wrong.Status);
        Assert.Equal(_app.Text("Security.WrongPassword"), wrong.ErrorText("current-error"));
        Assert.Equal(["wrong-password"], await AuditAsync(_app, id, "password.change-failed"));
        Assert.True(await SignedInAsync(phone), "a refused change ended another session");

        // The new password follows the registration rules, the byte limit included.
        var tooShort = await ChangePasswordAsync(laptop, customer.Password, "short");
        Assert.Equal(_app.Text("Password.TooShort", 8, 256), tooShort.ErrorText("password-error"));
        var personal = await ChangePasswordAsync(laptop, customer.Password, "менің атым " + customer.FirstName + " 2026 жыл");
        Assert.Equal(_app.Text("Password.ContainsPersonalData"), personal.ErrorText("password-error"));
        var tooLong = await ChangePasswordAsync(laptop, customer.Password, new string('ә', 129));
        Assert.Equal(_app.Text("Password.TooLong", 8, 256), tooLong.ErrorText("password-error"));
        Assert.Empty(await AuditAsync(_app, id, "password.changed"));

        const string NewPassword = "жаңа ұзын құпия сөз 2026 көктем";
        var done = await ChangePasswordAsync(laptop, customer.Password, NewPassword);
        Assert.Equal("/cabinet/security", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Security.Password.Changed"), done.Text, StringComparison.Ordinal);

        // This session goes on; the phone is signed out at its very next request.
        Assert.True(await SignedInAsync(laptop), "the session that changed the password was signed out");
        Assert.Equal("/account/login", (await phone.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.True(await SignedInAsync(laptop), "the session that changed the password was signed out later");
        var open = await _app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == id && s.EndedAt == null));
        Assert.Equal(1, open);
        Assert.Equal(["other-sessions-ended:1"], await AuditAsync(_app, id, "password.changed"));

        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.PasswordChanged.Subject", "SMALL"));
        Assert.Contains(_app.Text("Email.PasswordChangedInCabinet.Body", "SMALL"), mail.TextBody, StringComparison.Ordinal);

        // The new password signs in; the old one no longer does.
        using var other = Device(_app, Android, Almaty);
        Assert.Equal("/account/login", (await Journeys.SignInAsync(other, customer.Email, customer.Password)).Url.AbsolutePath);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(other, customer.Email, NewPassword)).Url.AbsolutePath);
    }

    [Fact]
    public async Task FiveWrongCurrentPasswordsLockTheAccountLikeFiveWrongSignIns()
    {
        using var browser = Device(_app, Windows, "203.0.113.10");
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var id = await AccountIdAsync(_app, customer);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        for (var i = 1; i <= 5; i++)
        {
            var page = await ChangePasswordAsync(browser, "wrong guess " + i, "жаңа ұзын құпия сөз 2026 көктем");
            Assert.Equal(_app.Text("Security.WrongPassword"), page.ErrorText("current-error"));
        }
        Assert.Single(await AuditAsync(_app, id, "account.locked"));
        Assert.Equal(["wrong-password", "wrong-password", "wrong-password", "wrong-password", "locked-out"], await AuditAsync(_app, id, "password.change-failed"));

        // Locked: even the right password is not checked, here or at sign-in.
        var locked = await ChangePasswordAsync(browser, customer.Password, "жаңа ұзын құпия сөз 2026 көктем");
        Assert.Equal(_app.Text("Security.Locked"), locked.ErrorText("current-error"));
        Assert.Empty(await AuditAsync(_app, id, "password.changed"));
        using var other = Device(_app, Android, Almaty);
        Assert.Equal("/account/login", (await Journeys.SignInAsync(other, customer.Email, customer.Password)).Url.AbsolutePath);

        // The history on the security page tells the customer what happened.
        var security = await browser.GetAsync("/cabinet/security");
        var history = security.Document.QuerySelector("table.history")!.TextContent;
        Assert.Contains(_app.Text("Security.Event.Locked"), history, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Security.Event.WrongCurrentPassword"), history, StringComparison.Ordinal);
        Assert.Contains(_app.Text("Security.Event.WhileLocked"), history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSessionListNamesEachDeviceAndPlaceAndMarksThisDevice()
    {
        using var phone = Device(_app, Android, Almaty);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, phone);
        await Journeys.SignInAsync(phone, customer.Email, customer.Password);
        using var laptop = Device(_app, Windows, "203.0.113.77");
        await Journeys.SignInAsync(laptop, customer.Email, customer.Password);
        using var office = Device(_app, "curl/8.5.0", "192.168.1.20");
        await Journeys.SignInAsync(office, customer.Email, customer.Password);

        var page = await phone.GetAsync("/cabinet/security");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var sessions = page.Document.QuerySelectorAll("li.session");
        Assert.Equal(3, sessions.Length);
        var mine = sessions.Single(s => s.QuerySelector(".this-device") is not null);
        Assert.Contains("Chrome · Android", mine.TextContent, StringComparison.Ordinal);
        Assert.Contains("Алматы, Қазақстан", mine.TextContent, StringComparison.Ordinal);
        Assert.Null(mine.QuerySelector("form.end-session"));

        var laptopRow = sessions.Single(s => s.TextContent.Contains("Firefox · Windows", StringComparison.Ordinal));
        Assert.Contains(_app.Text("Security.Place.Network", "203.0.113.0/24"), laptopRow.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.77", page.Body, StringComparison.Ordinal);
        var officeRow = sessions.Single(s => s.TextContent.Contains(_app.Text("Security.Device.Unknown"), StringComparison.Ordinal));
        Assert.Contains(_app.Text("Security.Place.Local"), officeRow.TextContent, StringComparison.Ordinal);
        Assert.NotNull(laptopRow.QuerySelector("form.end-session"));

        // "Sign out everywhere" is the existing one.
        Assert.NotNull(page.Document.QuerySelector("form[action='/account/logout?handler=everywhere']"));

        // Recent sign-ins: three, each with its place.
        var history = page.Document.QuerySelectorAll("table.history tbody tr");
        Assert.Equal(3, history.Count(r => r.TextContent.Contains(_app.Text("Security.Event.SignedIn"), StringComparison.Ordinal)));
        Assert.Contains(history, r => r.TextContent.Contains("Алматы, Қазақстан", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EndingAnotherSessionSignsThatBrowserOutAtItsNextRequestAndOnlyThatOne()
    {
        using var phone = Device(_app, Android, Almaty);
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, phone);
        var id = await AccountIdAsync(_app, customer);
        await Journeys.SignInAsync(phone, customer.Email, customer.Password);
        using var laptop = Device(_app, Windows, "203.0.113.78");
        await Journeys.SignInAsync(laptop, customer.Email, customer.Password);
        using var tablet = Device(_app, Windows, "203.0.113.79");
        await Journeys.SignInAsync(tablet, customer.Email, customer.Password);
        var laptopSession = await _app.WithDbAsync(db => db.Sessions.Where(s => s.AccountId == id && s.Ip == "203.0.113.78").Select(s => s.Id).SingleAsync());

        var page = await phone.GetAsync("/cabinet/security");
        var ended = await phone.SubmitAsync(page, formSelector: $"#session-{laptopSession:N} form.end-session");
        Assert.Equal("/cabinet/security", ended.Url.AbsolutePath);
        Assert.Contains(_app.Text("Security.Sessions.Ended"), ended.Text, StringComparison.Ordinal);

        Assert.Equal("/account/login", (await laptop.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.True(await SignedInAsync(phone));
        Assert.True(await SignedInAsync(tablet));
        Assert.Equal(["session:" + laptopSession.ToString("N")], await AuditAsync(_app, id, "session.ended"));
        Assert.Equal(2, (await phone.GetAsync("/cabinet/security")).Document.QuerySelectorAll("li.session").Length);
    }

    [Fact]
    public async Task AnotherCustomersSessionIdIsNotFoundAndNothingEnds()
    {
        using var victim = Device(_app, Android, Almaty);
        var someone = await Journeys.RegisteredAndConfirmedAsync(_app, victim);
        var victimId = await AccountIdAsync(_app, someone);
        await Journeys.SignInAsync(victim, someone.Email, someone.Password);
        var victimSession = await _app.WithDbAsync(db => db.Sessions.Where(s => s.AccountId == victimId && s.EndedAt == null).Select(s => s.Id).SingleAsync());

        using var attacker = Device(_app, Windows, "203.0.113.80");
        var other = await Journeys.RegisteredAndConfirmedAsync(_app, attacker);
        var attackerId = await AccountIdAsync(_app, other);
        await Journeys.SignInAsync(attacker, other.Email, other.Password);
        using var attackersPhone = Device(_app, Android, "203.0.113.81");
        await Journeys.SignInAsync(attackersPhone, other.Email, other.Password);

        // The attacker's own page has a real form (for their other session); they put the victim's id in it.
        var page = await attacker.GetAsync("/cabinet/security");
        foreach (var session in new[] { victimSession.ToString("N"), Guid.NewGuid().ToString("N"), "not-a-guid" })
        {
            var refused = await attacker.SubmitAsync(page, new Dictionary<string, string> { ["session"] = session }, formSelector: "form.end-session");
            Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        }
        Assert.True(await SignedInAsync(victim), "another customer ended the victim's session");
        Assert.Null(await _app.WithDbAsync(db => db.Sessions.Where(s => s.Id == victimSession).Select(s => s.EndedAt).SingleAsync()));
        Assert.Equal(3, (await AuditAsync(_app, attackerId, "session.end-refused")).Count);
        Assert.Empty(await AuditAsync(_app, victimId, "session.ended"));
        Assert.True(await SignedInAsync(attackersPhone));
    }

    [Fact]
    public async Task TheSecurityPageIsForSignedInCustomersOnly()
    {
        using var anonymous = _app.NewBrowser();
        foreach (var path in new[] { "/cabinet/security", "/cabinet/security/password", "/cabinet/security/two-factor" })
        {
            var page = await anonymous.GetAsync(path);
            Assert.Equal("/account/login", page.Url.AbsolutePath);
        }
    }

    /// <summary>The authenticator's code now, on the app's clock moved one step on (each step's code works once).</summary>
    public static string NextCode(DerbesApp app, string key)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        return new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(app.Clock.GetUtcNow().UtcDateTime);
    }
}

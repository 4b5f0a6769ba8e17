using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Customers;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Derbes.Web.Tests.Account;

/// <summary>
/// The first administrator and staff sign-in (SECURITY-CHECKS 26): a one-time link on the console at first start,
/// TOTP from the first minute, and password plus code at every sign-in. The link is issued once per start, so
/// this class has one app and walks the setup once (<see cref="App.SetupAsync"/>), whichever test needs it first.
/// </summary>
public sealed partial class StaffSetupTests : IClassFixture<StaffSetupTests.App>
{
    public sealed class App : DerbesApp
    {
        private Task<Setup>? _setup;

        /// <summary>The setup journey, walked once: the console's link, a wrong code, then the right one.</summary>
        public Task<Setup> SetupAsync() => _setup ??= WalkSetupAsync();

        /// <summary>
        /// The authenticator app's current code. The fake clock is first brought up to real time: the setup page
        /// reads the app's clock, while Identity's authenticator check at sign-in reads the system clock.
        /// </summary>
        public string TotpCode(string key)
        {
            if (DateTimeOffset.UtcNow > Clock.GetUtcNow())
            {
                Clock.SetUtcNow(DateTimeOffset.UtcNow);
            }
            return new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(Clock.GetUtcNow().UtcDateTime);
        }

        /// <summary>A six-digit code that is none of the codes accepted around now.</summary>
        public string WrongTotpCode(string key)
        {
            var totp = new Totp(Base32Encoding.ToBytes(key));
            var now = Clock.GetUtcNow().UtcDateTime;
            var near = Enumerable.Range(-4, 9).Select(step => totp.ComputeTotp(now.AddSeconds(step * 30))).ToHashSet();
            var code = (int.Parse(TotpCode(key), CultureInfo.InvariantCulture) + 500_000) % 1_000_000;
            while (near.Contains(code.ToString("D6", CultureInfo.InvariantCulture)))
            {
                code = (code + 1) % 1_000_000;
            }
            return code.ToString("D6", CultureInfo.InvariantCulture);
        }

        private async Task<Setup> WalkSetupAsync()
        {
            using var browser = NewBrowser();
            var links = SetupLink().Matches(OperatorOutput.ToString()).Select(m => m.Value).ToList();
            var link = new Uri(Assert.Single(links));
            var form = await browser.GetAsync(link.PathAndQuery);
            var key = form.Document.QuerySelector("main code.key")?.TextContent.Trim() ?? "";
            var administrator = new Administrator($"admin.{Guid.NewGuid():N}@small.example.kz", "таудан аққан мөлдір бұлақ суы", key);
            var fields = new Dictionary<string, string>
            {
                ["Input.FirstName"] = "Ерлан",
                ["Input.LastName"] = "Омаров",
                ["Input.Email"] = administrator.Email,
                ["Input.Password"] = administrator.Password,
            };
            fields["Input.Code"] = key.Length > 0 ? WrongTotpCode(key) : "000000";
            var wrongCode = await browser.SubmitAsync(form, fields);
            var accountsAfterWrongCode = await WithDbAsync(db => db.Users.CountAsync(a => a.Kind == AccountKind.Staff));
            fields["Input.Code"] = key.Length > 0 ? TotpCode(key) : "000000";
            var done = await browser.SubmitAsync(wrongCode, fields);
            return new Setup(link, form, wrongCode, accountsAfterWrongCode, done, administrator);
        }
    }

    public sealed record Administrator(string Email, string Password, string TotpKey);

    public sealed record Setup(Uri Link, WebPage Form, WebPage WrongCode, int StaffAfterWrongCode, WebPage Done, Administrator Administrator);

    private readonly App _app;

    public StaffSetupTests(App app) => _app = app;

    [Fact]
    public async Task TheFirstStartPrintsAOneTimeLinkThatCreatesTheAdministratorWithTotp()
    {
        var setup = await _app.SetupAsync();

        Assert.Equal(DerbesApp.PublicUrl, setup.Link.GetLeftPart(UriPartial.Authority));
        Assert.Equal("/setup", setup.Link.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, setup.Form.Status);
        Assert.Matches("^[A-Z2-7]{32}$", setup.Administrator.TotpKey);
        Assert.Contains("no-store", setup.Form.Header("Cache-Control"), StringComparison.Ordinal);
        Assert.Equal("no-referrer", setup.Form.Header("Referrer-Policy"));

        // A wrong authenticator code creates nothing and keeps the same key on the page.
        Assert.Equal("/setup", setup.WrongCode.Url.AbsolutePath);
        Assert.Contains(_app.Text("TwoFactor.Invalid"), setup.WrongCode.Text, StringComparison.Ordinal);
        Assert.Equal(setup.Administrator.TotpKey, setup.WrongCode.Document.QuerySelector("main code.key")?.TextContent.Trim());
        Assert.Equal(0, setup.StaffAfterWrongCode);

        // The right code creates the administrator, with the second factor on and the key the page showed.
        Assert.Equal("/account/login", setup.Done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Setup.Done"), setup.Done.Text, StringComparison.Ordinal);
        var index = _app.Service<BlindIndex>().Email(setup.Administrator.Email);
        var (account, roles, storedKey) = await _app.WithDbAsync(async db =>
        {
            var account = await db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index);
            var roles = await db.UserRoles.Where(r => r.UserId == account.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToListAsync();
            var key = await db.UserTokens.Where(t => t.UserId == account.Id && t.Name == "AuthenticatorKey").Select(t => t.Value).SingleOrDefaultAsync();
            return (account, roles, key);
        });
        Assert.Equal(AccountKind.Staff, account.Kind);
        Assert.True(account.TwoFactorEnabled);
        Assert.Equal([StaffRoles.Administrator], roles);
        // Sealed with the administrator's own data key; it opens to the key the page showed.
        Assert.StartsWith("sealed:", storedKey, StringComparison.Ordinal);
        Assert.DoesNotContain(setup.Administrator.TotpKey, storedKey!, StringComparison.Ordinal);
        using var scope = _app.Services.CreateScope();
        var opened = scope.ServiceProvider.GetRequiredService<PersonalDataVault>()
            .OpenString(account.Id, "totp-key", Convert.FromBase64String(storedKey!["sealed:".Length..]));
        Assert.Equal(setup.Administrator.TotpKey, opened);
        Assert.StartsWith("$argon2id$", account.PasswordHash, StringComparison.Ordinal);

        // The link works once: opened again it shows no form, and the old form posted again creates nobody.
        using var browser = _app.NewBrowser();
        var again = await browser.GetAsync(setup.Link.PathAndQuery);
        Assert.Null(again.Document.QuerySelector("main form[method=post]"));
        Assert.Contains(_app.Text("Link.Invalid"), again.Text, StringComparison.Ordinal);
        var replayed = await browser.SubmitAsync(setup.Form, new Dictionary<string, string>
        {
            ["Input.FirstName"] = "Басқа",
            ["Input.LastName"] = "Адам",
            ["Input.Email"] = $"other.{Guid.NewGuid():N}@small.example.kz",
            ["Input.Password"] = "басқа біреудің ұзын құпия сөзі",
            ["Input.Code"] = _app.TotpCode(setup.Administrator.TotpKey),
        });
        Assert.Equal("/setup", replayed.Url.AbsolutePath);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Users.CountAsync(a => a.Kind == AccountKind.Staff)));
    }

    [Fact]
    public async Task TheAdministratorSignsInWithPasswordAndTotpCodeAndReachesTheAdminPages()
    {
        var administrator = (await _app.SetupAsync()).Administrator;
        using var browser = _app.NewBrowser();

        // The password alone leads to the second step, not in.
        var second = await Journeys.SignInAsync(browser, administrator.Email, administrator.Password);
        Assert.Equal("/account/login/two-factor", second.Url.AbsolutePath);
        var early = await browser.GetAsync("/admin");
        Assert.NotEqual("/admin", early.Url.AbsolutePath);

        // A wrong code is refused on the same page.
        var step = await browser.GetAsync("/account/login/two-factor");
        var wrong = await browser.SubmitAsync(step, new Dictionary<string, string> { ["Code"] = _app.WrongTotpCode(administrator.TotpKey) });
        Assert.Equal("/account/login/two-factor", wrong.Url.AbsolutePath);
        Assert.Equal(_app.Text("TwoFactor.Invalid"), wrong.ErrorText("code-error"));
        Assert.NotEqual(HttpStatusCode.OK, (await NoRedirectGetAsync(browser, "/admin")).StatusCode);

        // The step whose code enrolled the app is spent: the next code is needed.
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = _app.TotpCode(administrator.TotpKey);
        var admin = await browser.SubmitAsync(wrong, new Dictionary<string, string> { ["Code"] = code });
        Assert.Equal("/admin", admin.Url.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, admin.Status);
        Assert.Contains(_app.Text("Role.Administrator"), admin.Text, StringComparison.Ordinal);

        // The same code cannot be replayed from another browser within its window.
        using (var replay = _app.NewBrowser())
        {
            await Journeys.SignInAsync(replay, administrator.Email, administrator.Password);
            var again = await replay.SubmitAsync(await replay.GetAsync("/account/login/two-factor"), new Dictionary<string, string> { ["Code"] = code });
            Assert.Equal("/account/login/two-factor", again.Url.AbsolutePath);
            Assert.Equal(_app.Text("TwoFactor.Invalid"), again.ErrorText("code-error"));
        }

        // Staff sessions idle out after 15 minutes (customers' last 30).
        _app.Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal("/admin", (await browser.GetAsync("/admin")).Url.AbsolutePath);
        _app.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal("/account/login", (await browser.GetAsync("/admin")).Url.AbsolutePath);
    }

    [Fact]
    public async Task ACustomerIsForbiddenTheAdminPages()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);

        var page = await browser.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        Assert.Single(browser.Hops);
        Assert.Contains(_app.Text("Error.Forbidden.Title"), page.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(_app.Text("Admin.Title"), page.Text, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> NoRedirectGetAsync(Browser browser, string url) => browser.Client.GetAsync(url);

    [GeneratedRegex(@"https?://\S+/setup\?token=[A-Za-z0-9_\-]+")]
    private static partial Regex SetupLink();
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;
using CustomerAccount = Derbes.Web.Customers.Account;

namespace Derbes.Web.Tests.Account;

/// <summary>Sign-in and brute force: SECURITY-CHECKS 6–9 and sign-in by phone, through the real login form.</summary>
public sealed partial class LoginTests : IClassFixture<LoginTests.App>
{
    public sealed class App : DerbesApp;

    private const string WrongPassword = "мүлдем басқа құпия сөз 42";

    private readonly App _app;
    private readonly ITestOutputHelper _output;

    public LoginTests(App app, ITestOutputHelper output) => (_app, _output) = (app, output);

    [Fact]
    public async Task WrongPasswordUnknownAccountAndLockedAccountGiveTheSamePageAndStatus()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        var wrong = await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        var unknown = await Journeys.SignInAsync(browser, Journeys.Someone().Email, WrongPassword);
        var unknownPhone = await Journeys.SignInAsync(browser, Journeys.Someone().PhoneTyped, WrongPassword);
        for (var i = 0; i < 4; i++)
        {
            await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        }
        Assert.NotNull((await AccountAsync(customer.Email)).LockoutEnd);
        var lockedRightPassword = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var lockedWrongPassword = await Journeys.SignInAsync(browser, customer.Email, WrongPassword);

        Assert.Equal(HttpStatusCode.OK, wrong.Status);
        Assert.Equal("/account/login", wrong.Url.AbsolutePath);
        Assert.Equal(_app.Text("Login.Failed"), AlertText(wrong));
        foreach (var page in new[] { unknown, unknownPhone, lockedRightPassword, lockedWrongPassword })
        {
            Assert.Equal(wrong.Status, page.Status);
            Assert.Equal(wrong.Url.AbsolutePath, page.Url.AbsolutePath);
            Assert.Equal(AlertText(wrong), AlertText(page));
            Assert.Equal(MainText(wrong), MainText(page));
        }
        Assert.False(await CanOpenCabinetAsync(browser));
    }

    [Fact]
    public async Task AnUnknownAccountCostsAsMuchTimeAsAWrongPassword()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var index = _app.Service<BlindIndex>().Email(customer.Email);

        async Task<double> TimeAsync(string login)
        {
            var page = await browser.GetAsync("/account/login");
            var fields = new Dictionary<string, string> { ["Input.Login"] = login, ["Input.Password"] = WrongPassword };
            var watch = Stopwatch.StartNew();
            var result = await browser.SubmitAsync(page, fields);
            watch.Stop();
            Assert.Equal(_app.Text("Login.Failed"), AlertText(result));
            return watch.Elapsed.TotalMilliseconds;
        }

        async Task<double> TimeKnownAsync()
        {
            // Every measured try must take the wrong-password path (a real verification), never the lockout's:
            // the count is set back in the database before it can reach the threshold.
            if ((await AccountAsync(customer.Email)).AccessFailedCount >= 4)
            {
                await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).ExecuteUpdateAsync(s => s.SetProperty(a => a.AccessFailedCount, 0)));
            }
            return await TimeAsync(customer.Email);
        }

        // Warm-up (JIT, connection pool, caches), then rounds of 15 tries of each, interleaved, alternating which
        // goes first. On a busy machine single timings are noisy; more rounds are pooled until the medians settle.
        // A missing dummy hash makes the unknown account several times faster, which no number of rounds hides.
        await TimeKnownAsync();
        await TimeAsync(Journeys.Someone().Email);
        var unknownTimes = new List<double>();
        var knownTimes = new List<double>();
        bool Close() => Math.Abs(Median(unknownTimes) - Median(knownTimes)) < 0.2 * Math.Max(Median(unknownTimes), Median(knownTimes));
        for (var round = 0; round < 4 && (round == 0 || !Close()); round++)
        {
            for (var i = 0; i < 15; i++)
            {
                if (i % 2 == 0)
                {
                    unknownTimes.Add(await TimeAsync(Journeys.Someone().Email));
                    knownTimes.Add(await TimeKnownAsync());
                }
                else
                {
                    knownTimes.Add(await TimeKnownAsync());
                    unknownTimes.Add(await TimeAsync(Journeys.Someone().Email));
                }
            }
            _output.WriteLine($"after {unknownTimes.Count} tries each: median unknown account {Median(unknownTimes):F1} ms, known account with a wrong password {Median(knownTimes):F1} ms");
        }

        Assert.Null((await AccountAsync(customer.Email)).LockoutEnd);
        Assert.True(
            Close(),
            $"median sign-in time after {unknownTimes.Count} tries each: unknown account {Median(unknownTimes):F1} ms, known account with a wrong password {Median(knownTimes):F1} ms");
    }

    [Fact]
    public async Task FiveFailuresInARowLockTheAccountForFifteenMinutesCountedInTheDatabase()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        for (var i = 1; i <= 4; i++)
        {
            await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
            var counted = await AccountAsync(customer.Email);
            Assert.Equal(i, counted.AccessFailedCount);
            Assert.Null(counted.LockoutEnd);
        }
        var wrong = await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        var lockedAt = _app.Clock.GetUtcNow();
        var locked = await AccountAsync(customer.Email);
        Assert.Equal(lockedAt.AddMinutes(15), locked.LockoutEnd);

        // The right password is refused with the very page a wrong one gets, until the 15 minutes are over.
        var refused = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal(MainText(wrong), MainText(refused));
        Assert.False(await CanOpenCabinetAsync(browser));
        _app.Clock.Advance(TimeSpan.FromMinutes(14));
        var stillRefused = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal(MainText(wrong), MainText(stillRefused));
        Assert.False(await CanOpenCabinetAsync(browser));

        _app.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        var unlocked = await AccountAsync(customer.Email);
        Assert.Equal(0, unlocked.AccessFailedCount);
        Assert.Null(unlocked.LockoutEnd);
    }

    [Fact]
    public async Task ASuccessfulSignInResetsTheFailureCount()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        for (var i = 0; i < 4; i++)
        {
            await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        }
        Assert.Equal(4, (await AccountAsync(customer.Email)).AccessFailedCount);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        Assert.Equal(0, (await AccountAsync(customer.Email)).AccessFailedCount);
        await SignOutAsync(browser, cabinet);

        for (var i = 0; i < 4; i++)
        {
            await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        }
        var account = await AccountAsync(customer.Email);
        Assert.Equal(4, account.AccessFailedCount);
        Assert.Null(account.LockoutEnd);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
    }

    [Fact]
    public async Task ASecondLockoutInARowLastsThirtyMinutes()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        for (var i = 0; i < 5; i++)
        {
            await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        }
        Assert.Equal(_app.Clock.GetUtcNow().AddMinutes(15), (await AccountAsync(customer.Email)).LockoutEnd);

        _app.Clock.Advance(TimeSpan.FromMinutes(16));
        for (var i = 0; i < 5; i++)
        {
            await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        }
        Assert.Equal(_app.Clock.GetUtcNow().AddMinutes(30), (await AccountAsync(customer.Email)).LockoutEnd);

        _app.Clock.Advance(TimeSpan.FromMinutes(29));
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.False(await CanOpenCabinetAsync(browser));
        _app.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
    }

    [Theory]
    [InlineData("101")]
    [InlineData("0")]
    public void TheAppRefusesToStartWithALockoutThresholdOutsideOneToAHundred(string threshold)
    {
        // Never more than 100 consecutive failures without a lock, whatever the configuration says.
        using var app = new DerbesApp(new() { ["Accounts:MaxFailedSignIns"] = threshold });
        var error = Assert.ThrowsAny<Exception>(() => app.NewBrowser().Dispose());
        Assert.Contains("MaxFailedSignIns", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePerIpLimitOnAccountFormsAnswers429WithRetryAfter()
    {
        using var app = new DerbesApp(new() { ["RateLimits:AccountPostsPerWindow"] = "3" });
        using var browser = app.NewBrowser();
        var someone = Journeys.Someone();

        for (var i = 0; i < 3; i++)
        {
            var allowed = await Journeys.SignInAsync(browser, someone.Email, WrongPassword);
            Assert.Equal(HttpStatusCode.OK, allowed.Status);
        }
        var refused = await Journeys.SignInAsync(browser, someone.Email, WrongPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        var retryAfter = refused.Header("Retry-After");
        Assert.NotNull(retryAfter);
        Assert.InRange(int.Parse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture), 1, 60);

        // The same address is held back on the other forms that hash or send: registration and reset.
        var forgot = await browser.GetAsync("/account/forgot-password");
        var reset = await browser.SubmitAsync(forgot, new Dictionary<string, string> { ["Login"] = someone.Email });
        Assert.Equal(HttpStatusCode.TooManyRequests, reset.Status);
        Assert.NotNull(reset.Header("Retry-After"));
        var register = await Journeys.RegisterAsync(browser, someone);
        Assert.Equal(HttpStatusCode.TooManyRequests, register.Status);
        Assert.NotNull(register.Header("Retry-After"));
    }

    [Fact]
    public async Task ACustomerSignsInByConfirmedPhoneTypedInAnyCommonForm()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        await Journeys.RegisterAsync(browser, customer);
        var code = await _app.Sms.WaitForCodeAsync(customer.PhoneE164);
        var verify = await browser.GetAsync("/account/verify-phone");
        await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: "main form:not([action*=handler])");
        Assert.True((await AccountAsync(customer.Email)).PhoneNumberConfirmed);
        await Journeys.ConfirmEmailAsync(_app, browser, customer);

        var national = customer.PhoneE164[2..];
        string[] forms =
        [
            customer.PhoneTyped,
            $"+7 ({national[..3]}) {national[3..6]}-{national[6..8]}-{national[8..]}",
            "7" + national,
            "+7" + national,
            "8" + national,
            $"8 ({national[..3]}) {national[3..6]} {national[6..8]} {national[8..]}",
        ];
        foreach (var typed in forms)
        {
            var cabinet = await Journeys.SignInAsync(browser, typed, customer.Password);
            Assert.True(cabinet.Url.AbsolutePath == "/cabinet", $"'{typed}' did not sign in: {AlertText(cabinet)}");
            await SignOutAsync(browser, cabinet);
        }
    }

    [Fact]
    public async Task SignInByAnUnconfirmedPhoneFailsLikeAnUnknownAccount()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        Assert.False((await AccountAsync(customer.Email)).PhoneNumberConfirmed);

        var byPhone = await Journeys.SignInAsync(browser, customer.PhoneTyped, customer.Password);
        var unknown = await Journeys.SignInAsync(browser, Journeys.Someone().PhoneTyped, customer.Password);

        Assert.Equal(unknown.Status, byPhone.Status);
        Assert.Equal("/account/login", byPhone.Url.AbsolutePath);
        Assert.Equal(MainText(unknown), MainText(byPhone));
        Assert.False(await CanOpenCabinetAsync(browser));
        // The same person signs in at once by email: only the unproven phone was refused.
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
    }

    private Task<CustomerAccount> AccountAsync(string email)
    {
        var index = _app.Service<BlindIndex>().Email(email);
        return _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index));
    }

    private static async Task<bool> CanOpenCabinetAsync(Browser browser)
    {
        var page = await browser.GetAsync("/cabinet");
        return page.Status == HttpStatusCode.OK && page.Url.AbsolutePath == "/cabinet";
    }

    private static Task<WebPage> SignOutAsync(Browser browser, WebPage signedIn) =>
        browser.SubmitAsync(signedIn, formSelector: "main form[action='/account/logout']");

    /// <summary>What the page says in its main part (the antiforgery token differs per response, the words must not).</summary>
    private static string MainText(WebPage page) =>
        Spaces().Replace(page.Document.QuerySelector("main")?.TextContent ?? "", " ").Trim();

    private static string AlertText(WebPage page) =>
        Spaces().Replace(page.Document.QuerySelector("main [role=alert]")?.TextContent ?? "", " ").Trim();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Flatten(Exception error) =>
        error.InnerException is null ? error.Message : error.Message + " " + Flatten(error.InnerException);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Documents;
using Derbes.Web.Localization;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Derbes.Web.Tests.Security;

/// <summary>
/// SECURITY-CHECKS 33–35: the headers on every response, the generic error page, health, GETs that change
/// nothing, the language switch as a protected POST, no inline script, and the policy pages.
/// </summary>
public sealed partial class HeadersAndErrorsTests : IClassFixture<HeadersAndErrorsTests.App>
{
    public sealed class App : DerbesApp;

    /// <summary>The real site's name: HSTS is never sent for localhost, so the header checks ask as the site.</summary>
    private const string SiteOrigin = "https://shop.example.kz";

    private readonly App _app;

    public HeadersAndErrorsTests(App app) => _app = app;

    [Theory]
    [InlineData("/")]
    [InlineData("/account/login")]
    [InlineData("/account/register")]
    [InlineData("/account/forgot-password")]
    [InlineData("/privacy")]
    [InlineData("/error")]
    [InlineData("/no-such-page")]
    [InlineData("/privacy/editions/2")]
    [InlineData("/css/site.css")]
    [InlineData("/js/site.js")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task EveryResponseCarriesTheSecurityHeaders(string path)
    {
        using var browser = SiteBrowser(_app);
        using var response = await browser.Client.GetAsync(path);
        AssertSecurityHeaders(response, path);
    }

    [Fact]
    public async Task ARefusedPostCarriesTheSecurityHeadersToo()
    {
        using var browser = SiteBrowser(_app);
        var page = await browser.GetAsync("/account/login");
        var refused = await browser.SubmitAsync(page, new Dictionary<string, string> { ["culture"] = "ru" }, formSelector: "form.lang-switch", dropAntiforgery: true);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        AssertSecurityHeaders(refused.Response, "POST /culture");
    }

    [Fact]
    public async Task HstsIsNotSentOverPlainHttp()
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://shop.example.kz"), AllowAutoRedirect = false });
        using var response = await client.GetAsync("/health/live");
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task ANotFoundShowsTheGenericPageWithACorrelationIdAndNothingInternal()
    {
        using var browser = SiteBrowser(_app);
        var page = await browser.GetAsync("/account/no-such-page");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal(_app.TextIn("kk", "Error.NotFound.Title"), page.Document.QuerySelector("main h1")?.TextContent.Trim());
        AssertGenericErrorPage(page, _app.DataDirectory);
    }

    [Fact]
    public async Task AnUnexpectedFailureShowsTheGenericPageWithACorrelationIdAndNoStackTraceTypeSqlOrPath()
    {
        using var broken = new BrokenApp();
        using var browser = SiteBrowser(broken);

        // A POST whose document store fails with a message that names a path on the server.
        var register = await Journeys.RegisterAsync(browser, Journeys.Someone());
        Assert.Equal(HttpStatusCode.InternalServerError, register.Status);
        Assert.Equal(_app.TextIn("kk", "Error.Title"), register.Document.QuerySelector("main h1")?.TextContent.Trim());
        AssertGenericErrorPage(register, broken.DataDirectory);
        Assert.DoesNotContain(FailingDocumentStore.Secret, register.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("IOException", register.Body, StringComparison.Ordinal);
        AssertSecurityHeaders(register.Response, "500 after POST");
        Assert.Equal(0, await broken.WithDbAsync(db => db.Users.CountAsync()));

        // A GET whose database query fails (the table is gone): no SQL, no table name, no exception type.
        await broken.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DROP TABLE \"PolicyTexts\""));
        var policy = await browser.GetAsync("/privacy");
        Assert.Equal(HttpStatusCode.InternalServerError, policy.Status);
        AssertGenericErrorPage(policy, broken.DataDirectory);
        foreach (var leak in new[] { "SqliteException", "no such table", "PolicyTexts", "SELECT", "SQLite Error", "PostgresException", "does not exist", "42P01", "Npgsql" })
        {
            Assert.DoesNotContain(leak, policy.Body, StringComparison.OrdinalIgnoreCase);
        }
        AssertSecurityHeaders(policy.Response, "500 after GET");

        // Each failure has its own reference, so support can find it.
        Assert.NotEqual(CorrelationId(register), CorrelationId(policy));
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task HealthEndpointsAnswer200(string path)
    {
        using var browser = SiteBrowser(_app);
        using var response = await browser.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetOfLogoutDoesNotSignOut()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        var signOuts = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signout"));

        await browser.GetAsync("/account/logout");
        // The session cookie may be renewed on the way, but never emptied or expired.
        Assert.DoesNotContain(browser.Hops, r => r.Headers.TryGetValues("Set-Cookie", out var cookies)
            && cookies.Any(c => c.StartsWith("__Host-derbes=", StringComparison.Ordinal) && (c.StartsWith("__Host-derbes=;", StringComparison.Ordinal) || c.Contains("1970", StringComparison.Ordinal))));

        var still = await browser.GetAsync("/cabinet");
        Assert.Equal(HttpStatusCode.OK, still.Status);
        Assert.Equal("/cabinet", still.Url.AbsolutePath);
        Assert.Equal(signOuts, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signout")));
    }

    [Fact]
    public async Task GetOfTheConfirmationLinkConfirmsNothingAndLeavesTheTokenUsable()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        await Journeys.RegisterAsync(browser, customer);
        var index = _app.Service<Derbes.Web.Security.BlindIndex>().Email(customer.Email);
        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.TextIn("kk", "Email.Confirm.Subject", "SMALL"));
        var link = new Uri(Mailbox.Link(mail, "/account/confirm-email"));

        // A mail scanner (or the person) opens the link twice.
        var first = await browser.GetAsync(link.PathAndQuery);
        await browser.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.False(await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.EmailConfirmed).SingleAsync()));
        var early = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/account/login", early.Url.AbsolutePath);

        // Only the POST behind the button confirms, and the token is still good for it.
        var confirmed = await browser.SubmitAsync(first);
        Assert.Contains("alert success", confirmed.Body, StringComparison.Ordinal);
        Assert.True(await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.EmailConfirmed).SingleAsync()));
    }

    [Fact]
    public async Task GetOfTheLanguageSwitchChangesNothing()
    {
        using var browser = _app.NewBrowser();
        var response = await browser.Client.GetAsync("/culture?culture=ru&returnUrl=%2Faccount%2Flogin");
        Assert.False(response.IsSuccessStatusCode);
        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(Languages.CookieName + "=", StringComparison.Ordinal)));

        var login = await browser.GetAsync("/account/login");
        Assert.Equal("kk", login.Document.DocumentElement.GetAttribute("lang"));
        Assert.Equal(_app.TextIn("kk", "Login.Title"), login.Document.QuerySelector("main h1")?.TextContent.Trim());
    }

    [Fact]
    public async Task TheLanguageSwitchIsAnAntiforgeryPostAndThenPagesAreInTheChosenLanguage()
    {
        using var browser = _app.NewBrowser();
        var login = await browser.GetAsync("/account/login");
        Assert.Equal(_app.TextIn("kk", "Login.Title"), login.Document.QuerySelector("main h1")?.TextContent.Trim());
        var switcher = login.Form("form.lang-switch");
        Assert.Equal("post", switcher.Method, ignoreCase: true);

        // Without the token: refused, and nothing remembered.
        var refused = await browser.SubmitAsync(login, new Dictionary<string, string> { ["culture"] = "ru" }, formSelector: "form.lang-switch", dropAntiforgery: true);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        var stillKazakh = await browser.GetAsync("/account/login");
        Assert.Equal(_app.TextIn("kk", "Login.Title"), stillKazakh.Document.QuerySelector("main h1")?.TextContent.Trim());

        // With it: back on the same page, in Russian, and the next pages too.
        var switched = await browser.SubmitAsync(stillKazakh, new Dictionary<string, string> { ["culture"] = "ru" }, formSelector: "form.lang-switch");
        Assert.Equal("/account/login", switched.Url.AbsolutePath);
        Assert.Equal("ru", switched.Document.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Вход", switched.Document.QuerySelector("main h1")?.TextContent.Trim());
        var register = await browser.GetAsync("/account/register");
        Assert.Equal(_app.TextIn("ru", "Register.Title"), register.Document.QuerySelector("main h1")?.TextContent.Trim());
    }

    [Fact]
    public async Task PagesHaveNoInlineScriptNoEventHandlerAttributesAndNoJavascriptUrls()
    {
        using var browser = _app.NewBrowser();
        var pages = new List<WebPage>();
        foreach (var path in new[] { "/", "/account/login", "/account/register", "/account/forgot-password", "/account/reset-password", "/account/verify-phone", "/account/confirm-email?token=x", "/privacy", "/privacy?lang=ru", "/privacy/editions", "/privacy/editions/1", "/no-such-page", "/error" })
        {
            pages.Add(await browser.GetAsync(path));
        }
        // A form with errors, and the cabinet of a signed-in customer.
        pages.Add(await Journeys.RegisterAsync(browser, Journeys.Someone() with { PhoneTyped = "1" }));
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        pages.Add(await Journeys.SignInAsync(browser, customer.Email, customer.Password));
        Assert.Equal("/cabinet", pages[^1].Url.AbsolutePath);

        foreach (var page in pages)
        {
            var where = page.Url.PathAndQuery;
            Assert.NotEmpty(page.Document.QuerySelectorAll("script[src]"));
            foreach (var script in page.Document.QuerySelectorAll("script"))
            {
                Assert.True(script.HasAttribute("src"), $"inline <script> on {where}");
                Assert.True(string.IsNullOrWhiteSpace(script.TextContent), $"<script> with content on {where}");
            }
            foreach (var element in page.Document.All)
            {
                foreach (var attribute in element.Attributes)
                {
                    Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"{attribute.Name}= on <{element.LocalName}> on {where}");
                    Assert.False(attribute.Value.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase), $"javascript: URL on {where}");
                }
            }
            // The same, read from the raw bytes, in case the parser forgave something.
            Assert.DoesNotMatch(InlineHandler(), page.Body);
        }
    }

    [Fact]
    public async Task ThePolicyShowsEditionOneInKazakhAndInRussianSaysItIsATranslationLinkingToTheKazakhText()
    {
        using var browser = _app.NewBrowser();
        var kazakh = await browser.GetAsync("/privacy");
        Assert.Equal(HttpStatusCode.OK, kazakh.Status);
        var article = kazakh.Document.QuerySelector("article.policy")!;
        Assert.Equal("kk", article.GetAttribute("lang"));
        Assert.Equal("Дербес деректерді өңдеу және құпиялылық саясаты", article.QuerySelector("h1")?.TextContent.Trim());
        Assert.Contains("1-редакция", article.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(_app.TextIn("kk", "Policy.Translation"), article.TextContent, StringComparison.Ordinal);

        var russian = await browser.GetAsync("/privacy?lang=ru");
        var translated = russian.Document.QuerySelector("article.policy")!;
        Assert.Equal("ru", translated.GetAttribute("lang"));
        Assert.Equal("Политика обработки персональных данных и конфиденциальности", translated.QuerySelector("h1")?.TextContent.Trim());
        Assert.Contains("Редакция 1", translated.TextContent, StringComparison.Ordinal);
        Assert.Contains("Это перевод. Основным является текст на казахском языке.", translated.TextContent, StringComparison.Ordinal);
        var toKazakh = translated.QuerySelector("a[hreflang=kk]");
        Assert.NotNull(toKazakh);
        var original = await browser.GetAsync(toKazakh.GetAttribute("href")!);
        Assert.Equal(HttpStatusCode.OK, original.Status);
        Assert.Equal("kk", original.Document.QuerySelector("article.policy")?.GetAttribute("lang"));
        Assert.Equal("Дербес деректерді өңдеу және құпиялылық саясаты", original.Document.QuerySelector("article.policy h1")?.TextContent.Trim());
    }

    [Fact]
    public async Task TheEditionsListShowsEditionOneWhichOpensAndEditionTwoIsNotFound()
    {
        using var browser = _app.NewBrowser();
        var list = await browser.GetAsync("/privacy/editions");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        var link = Assert.Single(list.Document.QuerySelectorAll("main ol.editions a"));
        Assert.Equal("/privacy/editions/1", link.GetAttribute("href"));

        var one = await browser.GetAsync("/privacy/editions/1");
        Assert.Equal(HttpStatusCode.OK, one.Status);
        Assert.Equal("Дербес деректерді өңдеу және құпиялылық саясаты", one.Document.QuerySelector("article.policy h1")?.TextContent.Trim());
        var text = await _app.WithDbAsync(db => db.PolicyTexts.Where(t => t.EditionNumber == 1 && t.Language == "kk").Select(t => t.Body).SingleAsync());
        var lastLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.Contains(lastLine, one.Text, StringComparison.Ordinal);

        var two = await browser.GetAsync("/privacy/editions/2");
        Assert.Equal(HttpStatusCode.NotFound, two.Status);
        Assert.Equal(_app.TextIn("kk", "Error.NotFound.Title"), two.Document.QuerySelector("main h1")?.TextContent.Trim());
    }

    // ------------------------------------------------------------------ helpers

    private static Browser SiteBrowser(DerbesApp app) =>
        new(app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(SiteOrigin), AllowAutoRedirect = false, HandleCookies = true }));

    private static void AssertSecurityHeaders(HttpResponseMessage response, string what)
    {
        string? Header(string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
            : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content) : null;

        var csp = Header("Content-Security-Policy");
        Assert.False(string.IsNullOrEmpty(csp), $"no CSP on {what}");
        var directives = csp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("'unsafe-inline'", csp, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("'unsafe-eval'", csp, StringComparison.OrdinalIgnoreCase);
        Assert.True(directives.ContainsKey("script-src") || directives.ContainsKey("default-src"), $"CSP without script-src or default-src on {what}");
        Assert.Equal("frame-ancestors 'none'", directives.GetValueOrDefault("frame-ancestors"));
        Assert.Equal("nosniff", Header("X-Content-Type-Options"));
        var referrer = Header("Referrer-Policy") ?? "";
        Assert.True(referrer is "no-referrer" or "same-origin" or "strict-origin" or "strict-origin-when-cross-origin", $"Referrer-Policy '{referrer}' on {what}");
        Assert.Equal("same-origin", Header("Cross-Origin-Opener-Policy"));
        Assert.Null(Header("Server"));
        Assert.Null(Header("X-Powered-By"));

        // The test app runs as "Testing", not Development: HSTS for a year.
        var hsts = Header("Strict-Transport-Security");
        Assert.False(string.IsNullOrEmpty(hsts), $"no HSTS on {what}");
        var maxAge = MaxAge().Match(hsts);
        Assert.True(maxAge.Success, $"HSTS without max-age on {what}: {hsts}");
        Assert.True(long.Parse(maxAge.Groups[1].Value, CultureInfo.InvariantCulture) >= 31_536_000, $"HSTS max-age below a year on {what}: {hsts}");
    }

    [Fact]
    public async Task PagesWithPersonalDataAndAFormAreKeptFromCachesWithoutAWarningInTheLog()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        foreach (var path in new[] { "/cabinet/my-data", "/cabinet/security/two-factor" })
        {
            var page = await browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.Response.StatusCode);
            Assert.NotNull(page.Document.QuerySelector("form input[name='__af']"));
            var caching = page.Response.Headers.CacheControl;
            Assert.True(caching is { NoStore: true, NoCache: true }, $"{path}: Cache-Control {caching}");
        }
        // Antiforgery sets "no-cache, no-store" on every page with a form, and warns when it has to replace another value
        // (event 8): a warning an operator would read on every view of these pages.
        Assert.DoesNotContain(_app.Logged.GetSnapshot(), e => e.Category?.StartsWith("Microsoft.AspNetCore.Antiforgery", StringComparison.Ordinal) == true);
    }

    private static void AssertGenericErrorPage(WebPage page, string dataDirectory)
    {
        Assert.False(string.IsNullOrWhiteSpace(CorrelationId(page)), "the error page shows no correlation id");
        foreach (var leak in new[] { "   at ", "Exception", "Derbes.Web.", ".cs:line", ".cshtml", "/tmp/", dataDirectory, "Microsoft.AspNetCore", "System." })
        {
            Assert.DoesNotContain(leak, page.Body, StringComparison.Ordinal);
        }
        Assert.Contains("no-store", page.Response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
    }

    private static string CorrelationId(WebPage page) =>
        page.Document.QuerySelector("main p.muted code")?.TextContent.Trim() ?? "";

    [GeneratedRegex(@"<[a-zA-Z][^>]*\son[a-zA-Z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();

    [GeneratedRegex(@"max-age=(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex MaxAge();

    /// <summary>The app with a document store that fails, to see what a person sees when something breaks.</summary>
    private sealed class BrokenApp : DerbesApp
    {
        // Its failures are the point: keep them out of the test output.
        public BrokenApp()
            : base(new() { ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "None", ["Logging:LogLevel:Microsoft.AspNetCore.Diagnostics"] = "None" })
        {
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services =>
            {
                services.RemoveAll<IDocumentStore>();
                services.AddSingleton<IDocumentStore, FailingDocumentStore>();
            });
        }
    }

    private sealed class FailingDocumentStore : IDocumentStore
    {
        public const string Secret = "/srv/derbes/secret-volume/documents";

        public Task PutAsync(string storageName, byte[] sealedBytes, CancellationToken cancellationToken) =>
            throw new IOException($"Disk full while writing {Secret}/{storageName}");

        public Task<byte[]?> GetAsync(string storageName, CancellationToken cancellationToken) =>
            throw new IOException($"Cannot read {Secret}/{storageName}");

        public Task DeleteAsync(string storageName, CancellationToken cancellationToken) =>
            throw new IOException($"Cannot delete {Secret}/{storageName}");
    }
}

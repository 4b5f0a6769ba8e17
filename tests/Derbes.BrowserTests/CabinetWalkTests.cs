using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Derbes.Tests.Documents;
using Microsoft.Playwright;
using MimeKit;
using Xunit.Abstractions;

namespace Derbes.BrowserTests;

/// <summary>
/// A customer on a phone (390×844, touch) walks through every page of the cabinet in Kazakh and in Russian, from
/// registering with a document to closing the account. On each page axe-core must find no WCAG 2.x A/AA violation,
/// the page must not scroll sideways, and a full-page screenshot is saved to artifacts/screenshots for people to look at.
/// </summary>
public sealed partial class CabinetWalkTests(SiteProcess site, ITestOutputHelper output) : IClassFixture<SiteProcess>
{
    private const int PhoneWidth = 390;

    /// <summary>Where the screenshots go: artifacts/screenshots at the repository root, kept by test.sh.</summary>
    public static string ScreenshotDirectory => Path.Combine(SiteProcess.RepositoryRoot(), "artifacts", "screenshots");

    [Theory]
    [InlineData("kk")]
    [InlineData("ru")]
    public async Task ACustomerOnAPhoneWalksThroughEveryCabinetPageAndEachIsAccessible(string language)
    {
        await using var context = await site.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = PhoneWidth, Height = 844 },
            DeviceScaleFactor = 2,
            IsMobile = true,
            HasTouch = true,
            Locale = language,
        });
        await AddAxeAsync(context);
        var page = await context.NewPageAsync();
        if (Directory.Exists(ScreenshotDirectory))
        {
            // Screenshots of an earlier run would be mistaken for this one's.
            foreach (var old in Directory.EnumerateFiles(ScreenshotDirectory, $"{language}-*.png"))
            {
                File.Delete(old);
            }
        }
        var walk = new Walk(page, language, output);
        var email = $"aigerim.{language}.{Guid.NewGuid():N}@example.kz";
        var digits = RandomNumberGenerator.GetInt32(0, 10_000_000).ToString("D7", CultureInfo.InvariantCulture);
        const string password = "таудан аққан мөлдір бұлақ";
        var scan = Path.Combine(site.DataDirectory, $"passport-{language}.pdf");
        await File.WriteAllBytesAsync(scan, SampleFiles.MinimalPdf());

        // Register with a document, filled in as a customer would, then confirm the email from the letter.
        await walk.GoAsync($"{site.BaseUrl}/account/register?lang={language}");
        await page.Locator("#Input_FirstName").FillAsync("Айгерім");
        await page.Locator("#Input_LastName").FillAsync("Сәрсенбаева");
        await page.Locator("#Input_Email").FillAsync(email);
        await page.Locator("#Input_Phone").FillAsync("8 701 " + digits);
        await page.Locator("#Input_Password").FillAsync(password);
        await page.Locator("#Input_Language").SelectOptionAsync(language);
        await page.Locator("#documents").SetInputFilesAsync(scan);
        await page.Locator("#Input_AcceptProcessing").CheckAsync();
        await page.Locator("#Input_AttestOwnData").CheckAsync();
        await walk.CheckAsync("register");
        await page.Locator("main button[type=submit].primary").ClickAsync();
        await page.WaitForURLAsync("**/account/register/done");
        await walk.CheckAsync("register-done");

        await walk.GoAsync(await ConfirmationLinkAsync(email));
        await walk.CheckAsync("confirm-email");
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.Locator(".alert.success").WaitForAsync();
        await walk.CheckAsync("email-confirmed");

        // Sign in: the cabinet's overview.
        await walk.GoAsync($"{site.BaseUrl}/account/login");
        await page.Locator("#Input_Login").FillAsync(email);
        await page.Locator("#Input_Password").FillAsync(password);
        await walk.CheckAsync("sign-in");
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/cabinet");
        Assert.Contains("Айгерім", await page.Locator("main h1").InnerTextAsync(), StringComparison.Ordinal);
        await walk.CheckAsync("overview");

        // Each section through the cabinet's row of links, as a customer moves between them.
        await walk.SectionAsync("/cabinet/profile");
        Assert.Equal("Айгерім", await page.Locator("#Names_FirstName").InputValueAsync());
        await walk.CheckAsync("profile");

        await walk.SectionAsync("/cabinet/documents");
        Assert.Equal(1, await page.Locator("ol.own-documents > li").CountAsync());
        await walk.CheckAsync("documents");
        await page.Locator("ol.own-documents h2 a").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/cabinet/documents/[0-9a-f-]{36}$"));
        Assert.Contains("passport", await page.Locator("main h1").InnerTextAsync(), StringComparison.Ordinal);
        await walk.CheckAsync("document");

        await walk.SectionAsync("/cabinet/consents");
        await walk.CheckAsync("consents");
        var records = await page.Locator("ol.ledger > li").CountAsync();
        await page.Locator("form.consent-switch button[type=submit]").First.ClickAsync();
        await page.Locator("main .alert.success").WaitForAsync();
        Assert.Equal(records + 1, await page.Locator("ol.ledger > li").CountAsync());
        await walk.CheckAsync("consent-switched");

        await walk.SectionAsync("/cabinet/security");
        await walk.CheckAsync("security");
        await page.Locator("main a[href='/cabinet/security/password']").ClickAsync();
        await page.WaitForURLAsync("**/cabinet/security/password");
        await walk.CheckAsync("security-password");
        await walk.GoAsync($"{site.BaseUrl}/cabinet/security/two-factor");
        Assert.True(await page.Locator("img.qr").IsVisibleAsync(), "the two-factor page shows the QR code to scan");
        await walk.CheckAsync("security-two-factor");

        await walk.SectionAsync("/cabinet/my-data");
        Assert.Contains(email, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await walk.CheckAsync("my-data");

        // File a request and follow it.
        await walk.SectionAsync("/cabinet/requests");
        await walk.CheckAsync("requests");
        await page.Locator("main a[href='/cabinet/requests/new']").ClickAsync();
        await page.WaitForURLAsync("**/cabinet/requests/new");
        await walk.CheckAsync("request-new");
        await page.Locator("#kind-information").CheckAsync();
        await page.Locator("#Input_Text").FillAsync(language == "kk"
            ? "Менің деректерім кімге берілгенін білгім келеді."
            : "Прошу сообщить, кому передавались мои данные.");
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/cabinet/requests/[0-9]+$"));
        await walk.CheckAsync("request");
        await walk.SectionAsync("/cabinet/requests");
        Assert.Equal(1, await page.Locator("#requests tbody tr").CountAsync());
        await walk.CheckAsync("requests-filed");

        // Close the account: the page that says what happens, then the closing itself.
        await walk.SectionAsync("/cabinet/close");
        await walk.CheckAsync("close");
        await page.Locator("#Password").FillAsync(password);
        await page.Locator("#Understand").CheckAsync();
        await page.Locator("main button[type=submit].danger").ClickAsync();
        await page.WaitForURLAsync("**/account/closed");
        await walk.CheckAsync("closed");

        Assert.True(walk.Problems.Count == 0, $"{walk.Problems.Count} page(s) with problems in {language}:\n" + string.Join("\n", walk.Problems));
    }

    /// <summary>The page checks, and the numbered screenshots, of one walk in one language.</summary>
    private sealed class Walk(IPage page, string language, ITestOutputHelper output)
    {
        private int _step;

        public List<string> Problems { get; } = [];

        public async Task GoAsync(string url)
        {
            var response = await page.GotoAsync(url);
            Assert.True(response is { Ok: true }, $"{url} answered {response?.Status}");
        }

        /// <summary>Follows the link in the cabinet's row of sections, which marks the page it leads to as current.</summary>
        public async Task SectionAsync(string href)
        {
            await page.Locator($".cabinet-nav a[href='{href}']").ClickAsync();
            await page.WaitForURLAsync("**" + href);
            var current = page.Locator($".cabinet-nav a[href='{href}']");
            Assert.Equal("page", await current.GetAttributeAsync("aria-current"));
            // The row of sections scrolls sideways on a phone: the current one must be in view, so the customer sees where they are.
            var box = await current.BoundingBoxAsync();
            if (box is null || box.X < 0 || box.X + box.Width > PhoneWidth)
            {
                Problems.Add($"{href}: the current section's link is out of view in the cabinet's row ({box?.X:0}..{box?.X + box?.Width:0} px)");
            }
        }

        /// <summary>
        /// Axe-core with the WCAG 2.0/2.1/2.2 A and AA rules, no sideways scrolling at phone width, and a full-page
        /// screenshot. A problem is recorded and the walk goes on, so one run reports every page that needs work.
        /// </summary>
        public async Task CheckAsync(string name)
        {
            _step++;
            var label = $"{language}-{_step:D2}-{name}";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await page.WaitForLoadStateAsync(LoadState.Load);
            Directory.CreateDirectory(ScreenshotDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, label + ".png"), FullPage = true });
            var shot = clock.ElapsedMilliseconds;

            var lang = await page.GetAttributeAsync("html", "lang");
            if (lang != language)
            {
                Problems.Add($"{label} ({page.Url}): the page is in '{lang}', not '{language}'");
            }
            var json = await page.EvaluateAsync<string>(AxeScript);
            foreach (var v in JsonSerializer.Deserialize<AxeViolation[]>(json, JsonOptions) ?? [])
            {
                Problems.Add($"{label} ({page.Url}): {v.Id} [{v.Impact}] {v.Help}\n" + string.Join("\n", v.Nodes.Select(n =>
                    $"    {string.Join(" ", n.Target)} — {n.Why}")));
            }
            var axe = clock.ElapsedMilliseconds;
            var wide = await page.EvaluateAsync<string[]>(SidewaysScript, PhoneWidth);
            var unlabelled = await page.EvaluateAsync<string[]>(UnlabelledCellsScript);
            if (unlabelled.Length > 0)
            {
                Problems.Add($"{label} ({page.Url}): table cells shown without their column's name on a phone (no data-label):\n    " + string.Join("\n    ", unlabelled));
            }
            output.WriteLine($"{label}: screenshot {shot} ms, axe {axe - shot} ms, width {clock.ElapsedMilliseconds - axe} ms");
            if (wide.Length > 0)
            {
                Problems.Add($"{label} ({page.Url}): the page scrolls sideways on a phone:\n    " + string.Join("\n    ", wide));
            }
        }

        private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

        // axe-core (loaded into every page of the context, see AddAxeAsync) with the WCAG 2.0, 2.1 and 2.2 A and AA
        // rules; only the violations come back, with the nodes and axe's own words for what failed on each.
        private const string AxeScript = """
            async () => {
                const result = await window.axe.run(document, {
                    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
                    resultTypes: ['violations'],
                });
                return JSON.stringify(result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({
                        target: n.target.map(String),
                        why: [...n.any, ...n.all, ...n.none].map(c => c.message).filter(m => m).slice(0, 2).join('; '),
                    })),
                })));
            }
            """;

        // The document must be no wider than the phone (the fixed width, not innerWidth, which a mobile browser widens
        // to fit an overflowing page). Elements meant to scroll inside themselves (wide tables in .table-scroll, the
        // cabinet's row of sections) do not count; the culprits are named so a failure says what to fix.
        private const string SidewaysScript = """
            (width) => {
                const root = document.documentElement;
                if (root.scrollWidth <= width) return [];
                const culprits = [], names = [];
                for (const el of document.body.querySelectorAll('*')) {
                    if (el.closest('.table-scroll, .cabinet-nav ul')) continue;
                    const box = el.getBoundingClientRect();
                    if (box.right > width + 1 && box.width > 0 && !culprits.some(c => c.contains(el))) {
                        culprits.push(el);
                        const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
                        names.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
                    }
                }
                return [`the document is ${root.scrollWidth} px wide on a ${width} px phone`, ...names.slice(0, 8)];
            }
            """;

        // On a phone table.data drops its header row and shows each row as a small card, each cell headed by its
        // data-label; a cell without one would be a bare value ("127.0.0.1") with nothing saying what it is.
        private const string UnlabelledCellsScript = """
            () => [...document.querySelectorAll('table.data')].flatMap(table => {
                const missing = [...table.querySelectorAll('tbody td:not([data-label])')];
                return missing.length === 0 ? [] : [`${table.id ? '#' + table.id : table.className}: ${missing.length} cell(s), e.g. "${missing[0].innerText.trim().slice(0, 40)}"`];
            })
            """;
    }

    private sealed record AxeViolation(string Id, string? Impact, string Help, AxeNode[] Nodes);

    private sealed record AxeNode(string[] Target, string Why);

    /// <summary>
    /// Loads the axe-core that Deque.AxeCore ships into every page the context opens. Calling axe.run directly takes
    /// a fraction of a second a page, where the package's RunAxe (which injects axe again and finishes each run in a
    /// fresh page) takes several seconds on a small machine; the rules and the engine are the same.
    /// </summary>
    private static async Task AddAxeAsync(IBrowserContext context) => await context.AddInitScriptAsync(new BundledAxeScriptProvider().GetScript());

    private async Task<string> ConfirmationLinkAsync(string to)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(site.MailDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(site.MailDirectory, "*.eml"))
                {
                    var message = await MimeMessage.LoadAsync(file);
                    if (message.To.Mailboxes.Any(m => m.Address == to)
                        && LinkPattern().Matches(message.TextBody ?? "").Select(m => m.Value).FirstOrDefault(l => l.Contains("/account/confirm-email", StringComparison.Ordinal)) is { } link)
                    {
                        return link;
                    }
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"No confirmation email to {to}.");
    }

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex LinkPattern();
}

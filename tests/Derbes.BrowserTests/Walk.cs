using System.Text.Json;
using Deque.AxeCore.Commons;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Derbes.BrowserTests;

/// <summary>
/// The page checks, and the numbered screenshots, of one walk in one language: the customer's walk through the
/// cabinet (screenshots "{lang}-{nn}-{page}.png") and the staff's walk through the desk ("staff-{lang}-…").
/// </summary>
internal sealed class Walk(IPage page, string language, ITestOutputHelper output, string prefix = "")
{
    /// <summary>The phone the walks are made on: 390×844 CSS pixels.</summary>
    public const int PhoneWidth = 390;

    private int _step;

    /// <summary>Where the screenshots go: artifacts/screenshots at the repository root, kept by test.sh.</summary>
    public static string ScreenshotDirectory => Path.Combine(SiteProcess.RepositoryRoot(), "artifacts", "screenshots");

    /// <summary>A phone-sized, touch browser context in <paramref name="language"/>, with axe-core loaded into every page.</summary>
    public static async Task<IBrowserContext> PhoneAsync(IBrowser browser, string language)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = PhoneWidth, Height = 844 },
            DeviceScaleFactor = 2,
            IsMobile = true,
            HasTouch = true,
            Locale = language,
        });
        // A small machine running three sites, three browsers and their tests at once can take a while over one page.
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        await AddAxeAsync(context);
        return context;
    }

    /// <summary>
    /// Loads the axe-core that Deque.AxeCore ships into every page the context opens. Calling axe.run directly takes
    /// a fraction of a second a page, where the package's RunAxe (which injects axe again and finishes each run in a
    /// fresh page) takes several seconds on a small machine; the rules and the engine are the same.
    /// </summary>
    public static async Task AddAxeAsync(IBrowserContext context) => await context.AddInitScriptAsync(new BundledAxeScriptProvider().GetScript());

    /// <summary>Deletes the screenshots an earlier run left under this prefix and language, so they are not mistaken for this one's.</summary>
    public static void ClearScreenshots(string pattern)
    {
        if (Directory.Exists(ScreenshotDirectory))
        {
            foreach (var old in Directory.EnumerateFiles(ScreenshotDirectory, pattern))
            {
                File.Delete(old);
            }
        }
    }

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
        await page.ArriveAsync("**" + href);
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
    /// <param name="name">The page's name in the screenshot's file name.</param>
    /// <param name="other">Another page (another person's browser) checked as the next step of this walk.</param>
    public async Task CheckAsync(string name, IPage? other = null)
    {
        var on = other ?? page;
        _step++;
        var label = $"{prefix}{language}-{_step:D2}-{name}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await on.LoadedAsync();
        Directory.CreateDirectory(ScreenshotDirectory);
        await on.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, label + ".png"), FullPage = true });
        var shot = clock.ElapsedMilliseconds;

        var lang = await on.GetAttributeAsync("html", "lang");
        if (lang != language)
        {
            Problems.Add($"{label} ({on.Url}): the page is in '{lang}', not '{language}'");
        }
        var json = await on.EvaluateAsync<string>(AxeScript);
        foreach (var v in JsonSerializer.Deserialize<AxeViolation[]>(json, JsonOptions) ?? [])
        {
            Problems.Add($"{label} ({on.Url}): {v.Id} [{v.Impact}] {v.Help}\n" + string.Join("\n", v.Nodes.Select(n =>
                $"    {string.Join(" ", n.Target)} — {n.Why}")));
        }
        var axe = clock.ElapsedMilliseconds;
        var wide = await on.EvaluateAsync<string[]>(SidewaysScript, PhoneWidth);
        var unlabelled = await on.EvaluateAsync<string[]>(UnlabelledCellsScript);
        if (unlabelled.Length > 0)
        {
            Problems.Add($"{label} ({on.Url}): table cells shown without their column's name on a phone (no data-label):\n    " + string.Join("\n    ", unlabelled));
        }
        output.WriteLine($"{label}: screenshot {shot} ms, axe {axe - shot} ms, width {clock.ElapsedMilliseconds - axe} ms");
        if (wide.Length > 0)
        {
            Problems.Add($"{label} ({on.Url}): the page scrolls sideways on a phone:\n    " + string.Join("\n    ", wide));
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

internal sealed record AxeViolation(string Id, string? Impact, string Help, AxeNode[] Nodes);

internal sealed record AxeNode(string[] Target, string Why);

using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Derbes.Tests.Documents;
using Microsoft.Playwright;
using MimeKit;

namespace Derbes.BrowserTests;

/// <summary>
/// A person on a phone: Debian's Chromium driven by Playwright registers, confirms and signs in through
/// the pages, and axe-core finds no WCAG 2.2 AA violation on the three account pages, in kk and ru.
/// </summary>
public sealed partial class AccountPagesTests(SiteProcess site) : IClassFixture<SiteProcess>
{
    private async Task<IPage> PhoneAsync(string locale)
    {
        var context = await site.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            DeviceScaleFactor = 2,
            IsMobile = true,
            HasTouch = true,
            Locale = locale,
        });
        return await context.NewPageAsync();
    }

    public static TheoryData<string, string> PagesAndLanguages => new()
    {
        { "/account/register", "kk" }, { "/account/login", "kk" }, { "/account/forgot-password", "kk" },
        { "/account/register", "ru" }, { "/account/login", "ru" }, { "/account/forgot-password", "ru" },
    };

    [Theory]
    [MemberData(nameof(PagesAndLanguages))]
    public async Task TheAccountPagesHaveNoWcag22AaViolationsOnAPhone(string path, string language)
    {
        var page = await PhoneAsync(language);
        await page.GotoAsync($"{site.BaseUrl}{path}?lang={language}");
        Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
        });
        Assert.True(result.Violations.Length == 0, string.Join("\n", result.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))})")));
        // Nothing is wider than the phone.
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, "the page scrolls sideways on a phone");
    }

    [Fact]
    public async Task APersonRegistersOnAPhoneConfirmsTheEmailAndSignsIn()
    {
        var page = await PhoneAsync("kk");
        var email = $"dana.{Guid.NewGuid():N}@example.kz";
        var digits = RandomNumberGenerator.GetInt32(0, 10_000_000).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
        const string password = "қызыл алма мен жасыл шай";
        var scan = Path.Combine(site.DataDirectory, "scan.pdf");
        await File.WriteAllBytesAsync(scan, SampleFiles.MinimalPdf());

        await page.GotoAsync(site.BaseUrl + "/account/register");
        await page.GetByLabel("Аты", new() { Exact = true }).FillAsync("Дана");
        await page.GetByLabel("Тегі", new() { Exact = true }).FillAsync("Ахметова");
        await page.GetByLabel("Электрондық пошта", new() { Exact = true }).FillAsync(email);
        await page.GetByLabel("Ұялы телефон", new() { Exact = true }).FillAsync("8 707 " + digits);
        await page.Locator("#Input_Password").FillAsync(password);
        Assert.Equal("new-password", await page.Locator("#Input_Password").GetAttributeAsync("autocomplete"));
        Assert.Equal("tel", await page.Locator("#Input_Phone").GetAttributeAsync("type"));
        await page.Locator("[data-toggle-password]").ClickAsync();
        Assert.Equal("text", await page.Locator("#Input_Password").GetAttributeAsync("type"));
        await page.Locator("#documents").SetInputFilesAsync(scan);
        await page.Locator("#Input_AcceptProcessing").CheckAsync();
        await page.Locator("#Input_AttestOwnData").CheckAsync();
        await page.Locator("button[type=submit].primary").ClickAsync();
        await page.ArriveAsync("**/account/register/done");

        var message = await WaitForMailAsync(email);
        var link = LinkPattern().Matches(message.TextBody ?? "").Select(m => m.Value).First(l => l.Contains("/account/confirm-email", StringComparison.Ordinal));
        await page.GotoAsync(link);
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.Locator(".alert.success").WaitForAsync();

        await page.GotoAsync(site.BaseUrl + "/account/login");
        await page.Locator("#Input_Login").FillAsync(email);
        await page.Locator("#Input_Password").FillAsync(password);
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.ArriveAsync("**/cabinet");
        Assert.Contains("Дана", await page.Locator("main h1").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "derbes-cabinet-phone.png"), FullPage = true });
    }

    private async Task<MimeMessage> WaitForMailAsync(string to)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(site.MailDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(site.MailDirectory, "*.eml"))
                {
                    var message = await MimeMessage.LoadAsync(file);
                    if (message.To.Mailboxes.Any(m => m.Address == to) && (message.TextBody ?? "").Contains("/account/confirm-email", StringComparison.Ordinal))
                    {
                        return message;
                    }
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("No confirmation email.");
    }

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex LinkPattern();
}

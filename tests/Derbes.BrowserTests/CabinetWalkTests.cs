using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Derbes.Tests.Documents;
using Xunit.Abstractions;

namespace Derbes.BrowserTests;

/// <summary>
/// A customer on a phone (390×844, touch) walks through every page of the cabinet in Kazakh and in Russian, from
/// registering with a document to closing the account. On each page axe-core must find no WCAG 2.x A/AA violation,
/// the page must not scroll sideways, and a full-page screenshot is saved to artifacts/screenshots for people to look at.
/// </summary>
public sealed class CabinetWalkTests(SiteProcess site, ITestOutputHelper output) : IClassFixture<SiteProcess>
{
    [Theory]
    [InlineData("kk")]
    [InlineData("ru")]
    public async Task ACustomerOnAPhoneWalksThroughEveryCabinetPageAndEachIsAccessible(string language)
    {
        await using var context = await Walk.PhoneAsync(site.Browser, language);
        var page = await context.NewPageAsync();
        // Screenshots of an earlier run would be mistaken for this one's.
        Walk.ClearScreenshots($"{language}-*.png");
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
        await page.ArriveAsync("**/account/register/done");
        await walk.CheckAsync("register-done");

        await walk.GoAsync(await site.LinkInMailAsync(email, "/account/confirm-email"));
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
        await page.ArriveAsync("**/cabinet");
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
        await page.ArriveAsync(new Regex("/cabinet/documents/[0-9a-f-]{36}$"));
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
        await page.ArriveAsync("**/cabinet/security/password");
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
        await page.ArriveAsync("**/cabinet/requests/new");
        await walk.CheckAsync("request-new");
        await page.Locator("#kind-information").CheckAsync();
        await page.Locator("#Input_Text").FillAsync(language == "kk"
            ? "Менің деректерім кімге берілгенін білгім келеді."
            : "Прошу сообщить, кому передавались мои данные.");
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.ArriveAsync(new Regex("/cabinet/requests/[0-9]+$"));
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
        await page.ArriveAsync("**/account/closed");
        await walk.CheckAsync("closed");

        Assert.True(walk.Problems.Count == 0, $"{walk.Problems.Count} page(s) with problems in {language}:\n" + string.Join("\n", walk.Problems));
    }
}

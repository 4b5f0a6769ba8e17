using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Derbes.Tests.Documents;
using Microsoft.Playwright;
using OtpNet;
using Xunit.Abstractions;

namespace Derbes.BrowserTests;

/// <summary>
/// A member of staff with the Support, PrivacyOfficer, Marketing and Administrator roles works on a phone (390×844, touch)
/// in Kazakh and in Russian: the request desk from a customer's complaint to its closing, a letter entered from the
/// customer's record, the breach register with its notification to the authorized body, the retention table, the
/// settings with where the archive copies go, a campaign written, previewed and sent to themself as a test, and the
/// statistics; the customer answers the staff's question
/// in the cabinet. The staff arrive as in a real deployment: the first administrator from the one-time link the site
/// prints at its first start, who invites the member by email. On each page axe-core must find no WCAG 2.x A/AA
/// violation and the page must not scroll sideways; full-page screenshots go to artifacts/screenshots/staff-*.png.
/// </summary>
public sealed class StaffWalkTests(SiteProcess site, ITestOutputHelper output) : IClassFixture<SiteProcess>
{
    private const string StaffPassword = "қызметкердің ұзын құпия сөзі 2026";
    private const string CustomerPassword = "таудан аққан мөлдір бұлақ";

    [Theory]
    [InlineData("kk")]
    [InlineData("ru")]
    public async Task AMemberOfStaffOnAPhoneWorksThroughTheDeskTheRecordAndTheBreachRegisterAndEachPageIsAccessible(string language)
    {
        var staff = await site.OnceAsync("support-and-privacy-officer", SetUpStaffAsync);
        Walk.ClearScreenshots($"staff-{language}-*.png");
        var today = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(5));

        // A customer files a complaint in the cabinet.
        await using var customerContext = await Walk.PhoneAsync(site.Browser, language);
        var customer = await customerContext.NewPageAsync();
        var email = $"dana.{language}.{Guid.NewGuid():N}@example.kz";
        await RegisterCustomerAsync(customer, language, email);
        await GoAsync(customer, "/cabinet/requests/new");
        await customer.Locator("#kind-complaint").CheckAsync();
        await customer.Locator("#Input_Text").FillAsync(language == "kk"
            ? "Маған жарнамалық SMS келеді, бірақ мен келісім бермегенмін."
            : "Мне приходят рекламные SMS, хотя я не давала согласия.");
        await customer.Locator("main button[type=submit]").ClickAsync();
        await customer.ArriveAsync(new Regex("/cabinet/requests/[0-9]+$"));
        var requestId = customer.Url[(customer.Url.LastIndexOf('/') + 1)..];

        // The member of staff signs in with password and authenticator code.
        await using var staffContext = await Walk.PhoneAsync(site.Browser, language);
        await InLanguageAsync(staffContext, language);
        var page = await staffContext.NewPageAsync();
        var walk = new Walk(page, language, output, "staff-");
        await SignInAsync(page, staff);
        await page.ArriveAsync("**/admin");
        await walk.CheckAsync("index");

        // The desk, then the complaint.
        await page.Locator($"main a[href='/admin/requests']").ClickAsync();
        await page.ArriveAsync("**/admin/requests");
        Assert.Equal(1, await page.Locator($"#requests a[href='/admin/requests/{requestId}']").CountAsync());
        await walk.CheckAsync("desk");
        await page.Locator($"#requests a[href='/admin/requests/{requestId}']").ClickAsync();
        await page.ArriveAsync($"**/admin/requests/{requestId}");
        await OpenAllDetailsAsync(page);
        await walk.CheckAsync("request");

        var member = await page.Locator("#assignee-select option").Filter(new() { HasText = staff.Name }).GetAttributeAsync("value");
        await StepAsync(page, "assign", async () => await page.Locator("#assignee-select").SelectOptionAsync(member!));
        Assert.Contains(staff.Name, await page.Locator("#assignee").InnerTextAsync(), StringComparison.Ordinal);
        await StepAsync(page, "note", async () => await page.Locator("#note-text").FillAsync(language == "kk"
            ? "SMS жіберу журналын тексеру керек."
            : "Проверить журнал рассылки SMS."));
        await StepAsync(page, "ask", async () => await page.Locator("#ask-text").FillAsync(language == "kk"
            ? "SMS қай нөмірге және қашан келді?"
            : "На какой номер и когда пришли SMS?"));
        await walk.CheckAsync("request-asked");

        // The customer sees the question in the cabinet and replies.
        await GoAsync(customer, $"/cabinet/requests/{requestId}");
        Assert.True(await customer.Locator("#Reply").IsVisibleAsync(), "the customer's request shows the reply form while staff wait for an answer");
        await walk.CheckAsync("customer-question", customer);
        await customer.Locator("#Reply").FillAsync(language == "kk" ? "+7 701 000 00 00 нөміріне, кеше." : "На +7 701 000 00 00, вчера.");
        await customer.Locator("form[action*='handler=reply'] button[type=submit]").ClickAsync();
        await customer.Locator("main .alert.success").WaitForAsync();
        Assert.Equal(0, await customer.Locator("#Reply").CountAsync());
        await walk.CheckAsync("customer-replied", customer);

        await page.ReloadAsync();
        await StepAsync(page, "extend", async () =>
        {
            await page.Locator("#extend-days").FillAsync("2");
            await page.Locator("#extend-reason").FillAsync(language == "kk"
                ? "Байланыс операторынан жауап күтеміз."
                : "Ждём ответа оператора связи.");
        });
        var information = (await page.Locator("#new-kind option[value=Information]").TextContentAsync())?.Trim();
        await StepAsync(page, "reclassify", async () =>
        {
            await page.Locator("#new-kind").SelectOptionAsync("Information");
            await page.Locator("#reclassify-reason").FillAsync(language == "kk"
                ? "Тұтынушы деректерінің кімге берілгенін сұрайды."
                : "Покупатель спрашивает, кому передавались его данные.");
        });
        Assert.Equal(information, (await page.Locator("#kind").InnerTextAsync()).Trim());
        Assert.False(string.IsNullOrWhiteSpace(await page.Locator("#answer-text").InputValueAsync()), "the answer comes prefilled from the template");
        await StepAsync(page, "answer", () => Task.CompletedTask);
        Assert.True(await page.Locator("#answer").IsVisibleAsync(), "the answer is shown with the request");
        await walk.CheckAsync("request-answered");
        await StepAsync(page, "close", () => Task.CompletedTask);
        await walk.CheckAsync("request-closed");

        await walk.GoAsync($"{site.BaseUrl}/admin/requests?done=true");
        Assert.Equal(1, await page.Locator($"#requests a[href='/admin/requests/{requestId}']").CountAsync());
        await walk.CheckAsync("desk-done");

        // The customer's record, found by email and opened for the complaint, and a paper letter entered from it.
        await walk.GoAsync($"{site.BaseUrl}/admin/customers");
        await page.Locator("#query").FillAsync(email);
        await page.Locator("main form[role=search] button[type=submit]").ClickAsync();
        await page.Locator("main table.data tbody tr").First.WaitForAsync();
        Assert.Equal(1, await page.Locator("main table.data tbody tr").CountAsync());
        await walk.CheckAsync("customers-found");
        await page.Locator("main table.data tbody a").ClickAsync();
        await page.ArriveAsync(new Regex("/admin/customers/[0-9a-f-]{36}$"));
        await walk.CheckAsync("record-reason");
        await page.Locator("#Reason").SelectOptionAsync("Complaint");
        await page.Locator("#Reference").FillAsync($"Вх-{today:yyyy}-{RandomNumberGenerator.GetInt32(1000, 10_000)}");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.ArriveAsync(new Regex("grant="));
        Assert.Contains(email, await page.Locator("main dl.facts").InnerTextAsync(), StringComparison.Ordinal);
        await walk.CheckAsync("record");

        await page.Locator("#enter-request").ClickAsync();
        await page.ArriveAsync(new Regex("/letter"));
        await walk.CheckAsync("new-request");
        var scan = Path.Combine(site.DataDirectory, $"letter-{language}.pdf");
        await File.WriteAllBytesAsync(scan, SampleFiles.MinimalPdf());
        await page.Locator("#Kind").SelectOptionAsync("Complaint");
        await page.Locator("#channel-Paper").CheckAsync();
        await page.Locator("#ReceivedOn").FillAsync(today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.Locator("#Identification").SelectOptionAsync("SignedLetterWithId");
        await page.Locator("#Text").FillAsync(language == "kk"
            ? "Жарнамалық хабарламаларды тоқтатуды сұраймын. Қолы қойылған хат, жеке куәліктің көшірмесі қоса беріледі."
            : "Прошу прекратить рекламные рассылки. Письмо подписано, копия удостоверения личности приложена.");
        await page.Locator("#Letter").SetInputFilesAsync(scan);
        await page.Locator("main button[type=submit].primary").ClickAsync();
        await page.ArriveAsync(new Regex("/admin/requests/[0-9]+$"));
        await page.Locator("main .alert.success").WaitForAsync();
        Assert.Equal(1, await page.Locator("#files li").CountAsync());
        await walk.CheckAsync("letter-entered");

        // The breach register: an incident reaching the customer, its page and the notification to the authorized body.
        await walk.GoAsync($"{site.BaseUrl}/admin/breaches");
        await walk.CheckAsync("breaches");
        await page.Locator("main a[href='/admin/breaches/new']").ClickAsync();
        await page.ArriveAsync("**/admin/breaches/new");
        await walk.CheckAsync("breach-new");
        await page.Locator("#Input_Description").FillAsync(language == "kk"
            ? "Тарату тізімі бар файл қате мекенжайға жіберілді."
            : "Файл со списком рассылки отправлен по ошибочному адресу.");
        await page.Locator("#category-email").CheckAsync();
        await page.Locator("#selection-list").CheckAsync();
        await page.Locator("#Input_Customers").FillAsync(email);
        await page.Locator("#Input_Measures").FillAsync(language == "kk"
            ? "Алушыдан файлды жоюды сұрадық, рассылка тоқтатылды."
            : "Получателя попросили удалить файл, рассылка остановлена.");
        await page.Locator("main form button[type=submit].primary").ClickAsync();
        await page.ArriveAsync(new Regex("/admin/breaches/[0-9]+$"));
        await page.Locator("main .alert.success").WaitForAsync();
        Assert.Equal("1", (await page.Locator("#affected").InnerTextAsync()).Trim());
        await walk.CheckAsync("breach");
        var breach = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        // The document for the authorized body, in the walk's language (the page offers Russian and Kazakh).
        await walk.GoAsync($"{site.BaseUrl}/admin/breaches/{breach}/notification?lang={language}");
        Assert.Equal(1, await page.Locator("#people tbody tr").CountAsync());
        // This site has no responsible person configured: the page says so before anyone prints it.
        Assert.True(await page.Locator("#settings-missing").IsVisibleAsync());
        await walk.CheckAsync("breach-notification");

        // The retention table: each category with its period, why, what the last run destroyed and what is due now.
        await walk.GoAsync($"{site.BaseUrl}/admin/retention");
        Assert.Equal(6, await page.Locator("#retention-table tbody tr").CountAsync());
        await walk.CheckAsync("retention");

        // The settings: the data location statement beside where the archive copies and key copies actually go.
        await walk.GoAsync($"{site.BaseUrl}/admin/settings");
        Assert.True(await page.Locator("#archive-copies").IsVisibleAsync());
        Assert.Contains("backups", await page.Locator("#archive-copies").InnerTextAsync(), StringComparison.Ordinal);
        await walk.CheckAsync("settings");

        // The account's own security, linked from the staff area, is open to staff in the cabinet, with only that section
        // in its row; the customer's record is not theirs: a 403 page in their language.
        await walk.GoAsync($"{site.BaseUrl}/admin");
        await page.Locator("#own-security").ClickAsync();
        await page.ArriveAsync("**/cabinet/security");
        Assert.Equal(1, await page.Locator(".cabinet-nav a").CountAsync());
        Assert.Equal(0, await page.Locator("main a[href='/cabinet/security/two-factor']").CountAsync());
        await walk.CheckAsync("own-security");
        var refused = await page.GotoAsync($"{site.BaseUrl}/cabinet/profile");
        Assert.Equal(403, refused?.Status);
        await walk.CheckAsync("cabinet-refused");

        // Marketing: a campaign written in both languages, its page with the previews, and the test to oneself.
        await walk.GoAsync($"{site.BaseUrl}/admin/campaigns");
        await walk.CheckAsync("campaigns");
        await page.Locator("#new-campaign").ClickAsync();
        await page.ArriveAsync("**/admin/campaigns/new");
        await page.Locator("#Input_Name").FillAsync(language == "kk" ? "Желтоқсан жеңілдіктері" : "Декабрьские скидки");
        await page.Locator("#subject-kk").FillAsync("SMALL: желтоқсан жеңілдіктері");
        await page.Locator("#body-kk").FillAsync("# Жеңілдіктер\n\nБарлық жемістерге **20 %** жеңілдік, 1–7 желтоқсан.");
        await walk.CheckAsync("campaign-new");
        await page.Locator("main form button[type=submit].primary").ClickAsync();
        // The Russian text is required: said beside its field, what was typed kept.
        await page.Locator("#body-ru-error").Filter(new() { HasTextRegex = new Regex(".+") }).WaitForAsync();
        Assert.Equal("SMALL: желтоқсан жеңілдіктері", await page.Locator("#subject-kk").InputValueAsync());
        await walk.CheckAsync("campaign-errors");
        await page.Locator("#subject-ru").FillAsync("SMALL: скидки декабря");
        await page.Locator("#body-ru").FillAsync("# Скидки\n\nНа все фрукты **20 %**, с 1 по 7 декабря.");
        await page.Locator("main form button[type=submit].primary").ClickAsync();
        await page.ArriveAsync(new Regex("/admin/campaigns/[0-9]+$"));
        await page.Locator("main .alert.success").WaitForAsync();
        // The email as the customer will see it, framed on the page (in the walk's language, open).
        await page.FrameLocator($"details[lang={language}] iframe.email-preview").Locator("a[href*='/unsubscribe/']").WaitForAsync();
        await walk.CheckAsync("campaign");
        await page.Locator("#test-send").ClickAsync();
        await page.Locator("main .alert.success").WaitForAsync();
        Assert.Contains("/unsubscribe/", await site.LinkInMailAsync(staff.Email, "/unsubscribe/"), StringComparison.Ordinal);
        // The preview on its own: a document that runs no script at all (CSP sandbox), so it is read, not walked.
        var campaign = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        var preview = await page.APIRequest.GetAsync($"{site.BaseUrl}/admin/campaigns/{campaign}/preview?lang={language}");
        Assert.True(preview.Ok);
        Assert.StartsWith("default-src 'none'", preview.Headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Contains("<strong>20 %</strong>", await preview.TextAsync(), StringComparison.Ordinal);

        // Marketing (and the PrivacyOfficer): the depersonalised statistics, each SVG chart an image beside its table.
        await walk.GoAsync($"{site.BaseUrl}/admin/statistics?Group=Week");
        await walk.CheckAsync("statistics");
        Assert.Equal(6, await page.Locator("svg.chart[role=img]").CountAsync());
        Assert.Equal(6, await page.Locator(".statistics-table .table-scroll table.data").CountAsync());

        Assert.True(walk.Problems.Count == 0, $"{walk.Problems.Count} page(s) with problems in {language}:\n" + string.Join("\n", walk.Problems));
    }

    /// <summary>A member of staff as the tests of the class share them: the authenticator key, and the last step whose code was used.</summary>
    private sealed class StaffMember(string name, string email, string key)
    {
        public string Name { get; } = name;
        public string Email { get; } = email;
        public string Key { get; } = key;
        public long LastStep { get; set; }
    }

    /// <summary>
    /// The first administrator from the link the site printed, who invites a member with the Support and
    /// PrivacyOfficer roles; the member accepts from the invitation email. Password and TOTP all the way.
    /// </summary>
    private async Task<StaffMember> SetUpStaffAsync()
    {
        await using var adminContext = await site.Browser.NewContextAsync();
        await InLanguageAsync(adminContext, "kk");
        var page = await adminContext.NewPageAsync();
        Assert.True((await page.GotoAsync(await site.FirstAdministratorLinkAsync()))?.Ok);
        var admin = new StaffMember("Ерлан", $"admin.{Guid.NewGuid():N}@small.example.kz", await page.Locator("code.key").InnerTextAsync());
        await page.Locator("#Input_FirstName").FillAsync(admin.Name);
        await page.Locator("#Input_LastName").FillAsync("Омаров");
        await page.Locator("#Input_Email").FillAsync(admin.Email);
        await page.Locator("#Input_Password").FillAsync(StaffPassword);
        await page.Locator("#Input_Code").FillAsync(await FreshCodeAsync(admin));
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.ArriveAsync("**/account/login");

        await SignInAsync(page, admin);
        await page.ArriveAsync("**/admin");
        await GoAsync(page, "/admin/staff/invite");
        var member = $"saule.{Guid.NewGuid():N}@small.example.kz";
        await page.Locator("#Input_FirstName").FillAsync("Сәуле");
        await page.Locator("#Input_LastName").FillAsync("Нұрланова");
        await page.Locator("#Input_Email").FillAsync(member);
        await page.Locator("#Input_Language").SelectOptionAsync("kk");
        await page.Locator("#role-support").CheckAsync();
        await page.Locator("#role-privacyofficer").CheckAsync();
        await page.Locator("#role-marketing").CheckAsync();
        await page.Locator("#role-administrator").CheckAsync();
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.Locator("main .alert.success").WaitForAsync();

        await using var memberContext = await site.Browser.NewContextAsync();
        await InLanguageAsync(memberContext, "kk");
        var accept = await memberContext.NewPageAsync();
        Assert.True((await accept.GotoAsync(await site.LinkInMailAsync(member, "/staff/accept")))?.Ok);
        var staff = new StaffMember("Сәуле", member, await accept.Locator("code.key").InnerTextAsync());
        await accept.Locator("#Input_Password").FillAsync(StaffPassword);
        await accept.Locator("#Input_Code").FillAsync(await FreshCodeAsync(staff));
        await accept.Locator("main button[type=submit]").ClickAsync();
        await accept.ArriveAsync("**/account/login");
        return staff;
    }

    /// <summary>Password, then the authenticator's code: a fresh one, as each step's code is taken once.</summary>
    private async Task SignInAsync(IPage page, StaffMember staff)
    {
        await GoAsync(page, "/account/login");
        await page.Locator("#Input_Login").FillAsync(staff.Email);
        await page.Locator("#Input_Password").FillAsync(StaffPassword);
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.ArriveAsync("**/account/login/two-factor");
        await page.Locator("#Code").FillAsync(await FreshCodeAsync(staff));
        await page.Locator("#code-form button[type=submit]").ClickAsync();
    }

    /// <summary>The authenticator's code on the real clock, waiting for the next 30-second step if this one's code was used.</summary>
    private static async Task<string> FreshCodeAsync(StaffMember staff)
    {
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30 <= staff.LastStep)
        {
            await Task.Delay(500);
        }
        var now = DateTimeOffset.UtcNow;
        staff.LastStep = now.ToUnixTimeSeconds() / 30;
        return new Totp(Base32Encoding.ToBytes(staff.Key)).ComputeTotp(now.UtcDateTime);
    }

    /// <summary>A customer registered, confirmed from the email and signed in, in <paramref name="language"/>.</summary>
    private async Task RegisterCustomerAsync(IPage page, string language, string email)
    {
        var digits = RandomNumberGenerator.GetInt32(0, 10_000_000).ToString("D7", CultureInfo.InvariantCulture);
        var scan = Path.Combine(site.DataDirectory, $"id-{language}.pdf");
        await File.WriteAllBytesAsync(scan, SampleFiles.MinimalPdf());
        await GoAsync(page, $"/account/register?lang={language}");
        await page.Locator("#Input_FirstName").FillAsync("Дана");
        await page.Locator("#Input_LastName").FillAsync("Ахметова");
        await page.Locator("#Input_Email").FillAsync(email);
        await page.Locator("#Input_Phone").FillAsync("8 702 " + digits);
        await page.Locator("#Input_Password").FillAsync(CustomerPassword);
        await page.Locator("#Input_Language").SelectOptionAsync(language);
        await page.Locator("#documents").SetInputFilesAsync(scan);
        await page.Locator("#Input_AcceptProcessing").CheckAsync();
        await page.Locator("#Input_AttestOwnData").CheckAsync();
        await page.Locator("main button[type=submit].primary").ClickAsync();
        await page.ArriveAsync("**/account/register/done");
        Assert.True((await page.GotoAsync(await site.LinkInMailAsync(email, "/account/confirm-email")))?.Ok);
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.Locator(".alert.success").WaitForAsync();
        await GoAsync(page, "/account/login");
        await page.Locator("#Input_Login").FillAsync(email);
        await page.Locator("#Input_Password").FillAsync(CustomerPassword);
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.ArriveAsync("**/cabinet");
    }

    /// <summary>
    /// One step of the desk: the step's form (in its collapsible section) filled and sent, and the page that comes
    /// back after the redirect must say it was done. The old page is marked, so its notice is not taken for the new one's.
    /// </summary>
    private static async Task StepAsync(IPage page, string handler, Func<Task> fill)
    {
        await OpenAllDetailsAsync(page);
        await fill();
        await page.EvaluateAsync("() => document.body.dataset.before = 'step'");
        await page.Locator($"form[action*='handler={handler}'] button[type=submit]").ClickAsync();
        await page.Locator("body:not([data-before]) main .alert.success").WaitForAsync();
        Assert.Equal(0, await page.Locator("main .alert.error").CountAsync());
    }

    private static async Task OpenAllDetailsAsync(IPage page) =>
        await page.EvaluateAsync("() => document.querySelectorAll('main details').forEach(d => d.open = true)");

    private async Task GoAsync(IPage page, string path)
    {
        var response = await page.GotoAsync(site.BaseUrl + path);
        Assert.True(response is { Ok: true }, $"{path} answered {response?.Status}");
    }

    /// <summary>The language chosen with the site's switcher (its cookie), as a person who prefers it would have.</summary>
    private async Task InLanguageAsync(IBrowserContext context, string language) =>
        await context.AddCookiesAsync([new Cookie { Name = "derbes-lang", Value = $"c={language}|uic={language}", Url = site.BaseUrl }]);
}

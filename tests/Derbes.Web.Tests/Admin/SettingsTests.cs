using System.Globalization;
using System.Net;
using Derbes.Web.Documents;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Settings;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// Settings (issue 4, Administrator): the operator, the responsible person (Art. 25), the care address, where the
/// data is hosted (Art. 12 p.2), retention and rate limits. Saved values override configuration and apply at
/// once; every changed key is audited without personal data; a stale form cannot overwrite a newer save.
/// </summary>
public sealed class SettingsTests : IClassFixture<SettingsTests.App>
{
    public sealed class App : DerbesApp;

    public const string Bin = "900101300017";

    private readonly App _app;

    public SettingsTests(App app) => _app = app;

    /// <summary>
    /// The settings form with <paramref name="fields"/> changed. The suite configures 100 000 POSTs per window
    /// (above what the page accepts) and the BIN is empty by default, so both are always given.
    /// </summary>
    public static async Task<WebPage> SaveAsync(Browser browser, Dictionary<string, string> fields, WebPage? form = null, string url = "/admin/settings")
    {
        ArgumentNullException.ThrowIfNull(browser);
        form ??= await browser.GetAsync(url);
        var values = new Dictionary<string, string>
        {
            ["Input.OperatorBin"] = Bin,
            ["Input.AccountPostsPerWindow"] = "10000",
        };
        foreach (var (key, value) in fields)
        {
            values[key] = value;
        }
        return await browser.SubmitAsync(form, values);
    }

    private static async Task<Browser> AdministratorAsync(DerbesApp app, StaffLogin? admin = null)
    {
        admin ??= await StaffJourneys.CreateAsync(app, StaffRoles.Administrator);
        var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, admin);
        return browser;
    }

    [Fact]
    public async Task AnAdministratorsSettingsOverrideConfigurationAndApplyWithoutARestart()
    {
        using var app = new DerbesApp();
        var admin = await StaffJourneys.CreateAsync(app, StaffRoles.Administrator);
        using var browser = await AdministratorAsync(app, admin);
        var form = await browser.GetAsync("/admin/settings");
        Assert.Equal(HttpStatusCode.OK, form.Status);
        // The suite's configuration sets the per-IP limit; the page says so.
        Assert.Equal("100000", form.Document.GetElementById("Input_AccountPostsPerWindow")?.GetAttribute("value"));
        Assert.Equal(app.Text("Settings.FromConfiguration"), form.Document.GetElementById("account-posts-source")?.TextContent.Trim());
        Assert.Equal(app.Text("Settings.FromDefault"), form.Document.GetElementById("responsible-name-source")?.TextContent.Trim());

        var saved = await SaveAsync(browser, new()
        {
            ["Input.OperatorName"] = "ТОО «СМОЛ Қазақстан»",
            ["Input.CareEmail"] = "dpo@small.example.kz",
            ["Input.VerifiedRetentionDays"] = "10",
            ["Input.AuditRetentionDays"] = "1825",
            ["Input.AccountPostsPerWindow"] = "3",
            ["Input.WindowSeconds"] = "120",
        }, form);
        Assert.Equal("/admin/settings", saved.Url.AbsolutePath);
        Assert.Contains(app.Text("Settings.Saved"), saved.Text, StringComparison.Ordinal);
        Assert.Equal("3", saved.Document.GetElementById("Input_AccountPostsPerWindow")?.GetAttribute("value"));
        var when = app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(5)).ToString("dd.MM.yyyy HH:mm", CultureInfo.InvariantCulture);
        Assert.Equal(app.Text("Settings.SetOnPage", admin.Email, when), saved.Document.GetElementById("account-posts-source")?.TextContent.Trim());

        // Everything that reads the settings sees the new values, without a restart.
        Assert.Equal(TimeSpan.FromDays(10), app.Service<IOptionsMonitor<DocumentOptions>>().CurrentValue.VerifiedRetention);
        Assert.Equal(TimeSpan.FromDays(1825), app.Service<IConfiguration>().GetValue<TimeSpan>(EditableSettings.AuditRetention));
        var limits = app.Service<IOptionsMonitor<RateLimitOptions>>().CurrentValue;
        Assert.Equal((3, TimeSpan.FromMinutes(2)), (limits.AccountPostsPerWindow, limits.Window));

        // The footer names the operator and its BIN, and the care email is the new one.
        using var visitor = app.NewBrowser();
        var policy = await visitor.GetAsync("/privacy");
        Assert.Contains(app.Text("Settings.FooterOperatorBin", "ТОО «СМОЛ Қазақстан»", Bin), policy.Text, StringComparison.Ordinal);
        Assert.NotNull(policy.Document.QuerySelector("footer a[href='mailto:dpo@small.example.kz']"));

        // The per-IP limit is now three account POSTs in two minutes. (The administrator's own sign-in counted
        // in the window before: on PostgreSQL the window is counted in the database, so start a fresh one.)
        var now = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        app.Clock.Advance(TimeSpan.FromSeconds(120 - (now % 120)));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Journeys.SignInAsync(visitor, Journeys.Someone().Email, "wrong password, whoever")).Status);
        }
        var refused = await Journeys.SignInAsync(visitor, Journeys.Someone().Email, "wrong password, whoever");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.InRange(int.Parse(refused.Header("Retry-After")!, NumberStyles.None, CultureInfo.InvariantCulture), 61, 120);
    }

    [Fact]
    public async Task AnInvalidBinOrAnyOtherInvalidFieldIsRefusedNextToItInTheVisitorsLanguageAndNothingIsSaved()
    {
        using var browser = await AdministratorAsync(_app);
        var before = await _app.WithDbAsync(db => db.Settings.CountAsync());
        var audited = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "setting.changed"));

        var refused = await SaveAsync(browser, new()
        {
            ["Input.OperatorName"] = "Changed but not saved",
            ["Input.OperatorBin"] = "900101300010",
        }, url: "/admin/settings?lang=ru");
        Assert.Equal(_app.TextIn("ru", "Settings.BinInvalid"), refused.ErrorText("operator-bin-error"));
        Assert.Contains(_app.TextIn("ru", "Form.HasErrors"), refused.Text, StringComparison.Ordinal);
        // What was typed stays in the form to be corrected.
        Assert.Equal("Changed but not saved", refused.Document.GetElementById("Input_OperatorName")?.GetAttribute("value"));

        var many = await SaveAsync(browser, new()
        {
            ["Input.OperatorName"] = "",
            ["Input.ResponsibleEmail"] = "not an email",
            ["Input.ResponsiblePhone"] = "+7 916 123 45 67",
            ["Input.DatabaseCountry"] = "Қ1",
            ["Input.VerifiedRetentionDays"] = "366",
            ["Input.AuditRetentionDays"] = "30",
            ["Input.AccountPostsPerWindow"] = "lots",
            ["Input.WindowSeconds"] = "5",
        }, refused);
        Assert.Equal(_app.TextIn("ru", "Validation.Required"), many.ErrorText("operator-name-error"));
        Assert.Equal(_app.TextIn("ru", "Validation.Email"), many.ErrorText("responsible-email-error"));
        Assert.Equal(_app.TextIn("ru", "Settings.PhoneInvalid"), many.ErrorText("responsible-phone-error"));
        Assert.Equal(_app.TextIn("ru", "Settings.CountryInvalid"), many.ErrorText("database-country-error"));
        Assert.Equal(_app.TextIn("ru", "Settings.Range", "", 1, 365), many.ErrorText("verified-retention-error"));
        Assert.Equal(_app.TextIn("ru", "Settings.Range", "", 365, 3650), many.ErrorText("audit-retention-error"));
        Assert.Equal(_app.TextIn("ru", "Validation.Invalid"), many.ErrorText("account-posts-error"));
        Assert.Equal(_app.TextIn("ru", "Settings.Range", "", 10, 3600), many.ErrorText("window-error"));

        Assert.Equal(before, await _app.WithDbAsync(db => db.Settings.CountAsync()));
        Assert.Equal(audited, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "setting.changed")));
        Assert.NotEqual("Changed but not saved", _app.Service<IOptionsMonitor<SiteOptions>>().CurrentValue.OperatorName);
    }

    [Fact]
    public async Task MarkupInTheAddressAndTheLocationStatementIsShownAsText()
    {
        using var app = new DerbesApp();
        using var browser = await AdministratorAsync(app);
        var saved = await SaveAsync(browser, new()
        {
            ["Input.CareAddress"] = "Алматы, Абай даңғылы, 1\r\n<script>alert(1)</script>",
            ["Input.DataLocation"] = "<img src=x onerror=alert(2)> Kazteleport, Алматы",
        });
        Assert.Contains(app.Text("Settings.Saved"), saved.Text, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", saved.Body, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", saved.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", saved.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", saved.Body, StringComparison.Ordinal);
        // Line breaks are kept (as \n), so the address reads as it was written.
        Assert.Equal("Алматы, Абай даңғылы, 1\n<script>alert(1)</script>", app.Service<IOptionsMonitor<SiteOptions>>().CurrentValue.CareAddress);
    }

    [Fact]
    public async Task EachChangedKeyIsAuditedOnceAndThePersonsDetailsStayOutOfTheTrail()
    {
        using var app = new DerbesApp();
        var admin = await StaffJourneys.CreateAsync(app, StaffRoles.Administrator);
        using var browser = await AdministratorAsync(app, admin);
        var saved = await SaveAsync(browser, new()
        {
            ["Input.OperatorName"] = "SMALL Retail",
            ["Input.ResponsibleName"] = "Гүлнар Сейітқызы Әбенова",
            ["Input.ResponsiblePosition"] = "Заң бөлімінің басшысы",
            ["Input.ResponsibleEmail"] = "gulnar.abenova@small.example.kz",
            ["Input.ResponsiblePhone"] = "8 727 250 00 00",
        });
        Assert.Contains(app.Text("Settings.Saved"), saved.Text, StringComparison.Ordinal);

        var entries = await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "setting.changed").OrderBy(e => e.Subject).ToListAsync());
        var expected = new Dictionary<string, string>
        {
            [EditableSettings.AccountPostsPerWindow] = "10000",
            [EditableSettings.OperatorBin] = Bin,
            [EditableSettings.OperatorName] = "SMALL Retail",
            [EditableSettings.ResponsibleEmail] = "changed",
            [EditableSettings.ResponsibleName] = "changed",
            [EditableSettings.ResponsiblePhone] = "changed",
            [EditableSettings.ResponsiblePosition] = "Заң бөлімінің басшысы",
        };
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), entries.Select(e => KeyValuePair.Create(e.Subject, e.Outcome)).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal(admin.Id.ToString(), e.Actor));
        var trail = string.Join("\n", await app.WithDbAsync(db => db.AuditEntries.Select(e => e.Subject + " " + e.Outcome).ToListAsync()));
        Assert.DoesNotContain("Әбенова", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("gulnar", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("2500000", trail, StringComparison.Ordinal);

        // Stored as configuration reads it: the landline in E.164, by whom and when.
        var phone = await app.WithDbAsync(db => db.Settings.SingleAsync(s => s.Key == EditableSettings.ResponsiblePhone));
        Assert.Equal(("+77272500000", admin.Id.ToString(), app.Clock.GetUtcNow()), (phone.Value, phone.UpdatedBy, phone.UpdatedAt));

        // The same form again: nothing changed, nothing written, nothing audited.
        var again = await SaveAsync(browser, new() { ["Input.ResponsiblePhone"] = "+7 727 250 00 00" });
        Assert.Contains(app.Text("Settings.Unchanged"), again.Text, StringComparison.Ordinal);
        Assert.Equal(entries.Count, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "setting.changed")));

        // One field changed: one entry.
        await SaveAsync(browser, new() { ["Input.WindowSeconds"] = "30" });
        var window = await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "setting.changed").OrderBy(e => e.Id).Skip(entries.Count).ToListAsync());
        Assert.Equal([(EditableSettings.RateWindow, "00:00:30")], window.Select(e => (e.Subject, e.Outcome)));
    }

    [Fact]
    public async Task OnlyAnAdministratorOpensOrSavesTheSettings()
    {
        foreach (var role in new[] { StaffRoles.Support, StaffRoles.PrivacyOfficer, StaffRoles.Marketing })
        {
            var staff = await StaffJourneys.CreateAsync(_app, role);
            using var browser = _app.NewBrowser();
            await StaffJourneys.SignInAsync(_app, browser, staff);
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/settings")).StatusCode);
            // Their dashboard does not offer the link either.
            Assert.Null((await browser.GetAsync("/admin")).Document.QuerySelector("main a[href='/admin/settings']"));
            // A forged POST (with a valid antiforgery token from another page) is refused before it is read.
            var home = await browser.GetAsync("/admin");
            var token = home.Document.QuerySelector("input[name='__af']")?.GetAttribute("value") ?? "";
            var post = await browser.Client.PostAsync("/admin/settings", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__af"] = token,
                ["Input.OperatorName"] = "Hijacked",
                ["Input.OperatorBin"] = Bin,
            }));
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }
        Assert.Equal(0, await _app.WithDbAsync(db => db.Settings.CountAsync(s => s.Value == "Hijacked")));

        using var admin = await AdministratorAsync(_app);
        var dashboard = await admin.GetAsync("/admin");
        Assert.NotNull(dashboard.Document.QuerySelector("main a[href='/admin/settings']"));
    }

    [Fact]
    public async Task TheDashboardWarnsEveryMemberOfStaffUntilTheDataIsStatedToBeInKazakhstan()
    {
        using var app = new DerbesApp();
        using var admin = await AdministratorAsync(app);
        using var support = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, support, await StaffJourneys.CreateAsync(app, StaffRoles.Support));

        var unstated = await support.GetAsync("/admin");
        Assert.Equal(app.Text("Settings.WarningNotStated"), unstated.Document.GetElementById("data-location-warning")?.TextContent.Trim());

        await SaveAsync(admin, new() { ["Input.DatabaseCountry"] = "KZ", ["Input.ArchiveCountry"] = "DE" });
        var abroad = await support.GetAsync("/admin");
        Assert.Equal(app.Text("Settings.WarningAbroad", "KZ", "DE"), abroad.Document.GetElementById("data-location-warning")?.TextContent.Trim());

        // A code not in the list (set through configuration, say) is kept and shown; a lower-case one is read as upper.
        await SaveAsync(admin, new() { ["Input.DatabaseCountry"] = "sg", ["Input.ArchiveCountry"] = "KZ" });
        var singapore = await admin.GetAsync("/admin/settings");
        Assert.Equal("SG", singapore.Document.QuerySelector("#Input_DatabaseCountry option[selected]")?.GetAttribute("value"));
        Assert.Equal(app.Text("Settings.WarningAbroad", "SG", "KZ"), (await support.GetAsync("/admin")).Document.GetElementById("data-location-warning")?.TextContent.Trim());

        await SaveAsync(admin, new() { ["Input.DatabaseCountry"] = "KZ", ["Input.ArchiveCountry"] = "KZ", ["Input.DataLocation"] = "Kazteleport, Алматы; архив: Астана" });
        Assert.Null((await support.GetAsync("/admin")).Document.GetElementById("data-location-warning"));
    }

    [Fact]
    public async Task AFormShownBeforeAnotherAdministratorSavedIsRefusedWithTheFreshValues()
    {
        using var app = new DerbesApp();
        using var first = await AdministratorAsync(app);
        using var second = await AdministratorAsync(app);
        var firstForm = await first.GetAsync("/admin/settings");
        var secondForm = await second.GetAsync("/admin/settings");

        var secondSaved = await SaveAsync(second, new() { ["Input.OperatorName"] = "Second's name", ["Input.WindowSeconds"] = "90" }, secondForm);
        Assert.Contains(app.Text("Settings.Saved"), secondSaved.Text, StringComparison.Ordinal);

        var refused = await SaveAsync(first, new() { ["Input.OperatorName"] = "First's name" }, firstForm);
        Assert.Equal(app.Text("Settings.Conflict"), refused.Document.GetElementById("conflict")?.TextContent.Trim());
        Assert.Equal("Second's name", refused.Document.GetElementById("Input_OperatorName")?.GetAttribute("value"));
        Assert.Equal("90", refused.Document.GetElementById("Input_WindowSeconds")?.GetAttribute("value"));
        Assert.Equal("Second's name", await app.WithDbAsync(db => db.Settings.Where(s => s.Key == EditableSettings.OperatorName).Select(s => s.Value).SingleAsync()));
        Assert.Equal(["Second's name"], await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "setting.changed" && e.Subject == EditableSettings.OperatorName).Select(e => e.Outcome).ToListAsync()));

        // Having seen the new values, the first decides again, and that saves.
        var decided = await SaveAsync(first, new() { ["Input.OperatorName"] = "First's name" }, refused);
        Assert.Contains(app.Text("Settings.Saved"), decided.Text, StringComparison.Ordinal);
        Assert.Equal("First's name", app.Service<IOptionsMonitor<SiteOptions>>().CurrentValue.OperatorName);
        Assert.Equal(TimeSpan.FromSeconds(90), app.Service<IOptionsMonitor<RateLimitOptions>>().CurrentValue.Window);
    }

    [Fact]
    public async Task ASettingsTableThatCannotBeReadLeavesTheLastValuesInForce()
    {
        using var app = new DerbesApp();
        using var browser = await AdministratorAsync(app);
        await SaveAsync(browser, new() { ["Input.OperatorName"] = "Before the table went" });

        await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DROP TABLE \"Settings\""));
        Assert.Empty(await app.Service<DatabaseSettings>().ReloadAsync(CancellationToken.None));
        Assert.Equal("Before the table went", app.Service<IOptionsMonitor<SiteOptions>>().CurrentValue.OperatorName);
        Assert.Equal(HttpStatusCode.OK, (await browser.Client.GetAsync("/admin")).StatusCode);
    }
}

/// <summary>Two instances on one PostgreSQL database converge on a change made on either, within the refresh interval.</summary>
[Trait("Database", "Postgres")]
public sealed class SettingsOnSeveralInstancesTests : IDisposable
{
    private readonly DerbesApp _a;
    private readonly DerbesApp _b;

    public SettingsOnSeveralInstancesTests()
    {
        if (TestDatabase.PostgresServer is null)
        {
            throw new InvalidOperationException($"These tests need a PostgreSQL server: set {TestDatabase.Variable} (./test.sh starts one and does).");
        }
        var settings = new Dictionary<string, string?> { ["Outbox:Enabled"] = "false", ["Settings:RefreshInterval"] = "00:00:00.200" };
        _a = new DerbesApp(settings);
        _a.NewBrowser().Dispose();
        _b = new DerbesApp(settings, shareWith: _a);
    }

    public void Dispose()
    {
        _b.Dispose();
        _a.Dispose();
    }

    [Fact]
    public async Task AChangeSavedOnOneInstanceReachesTheOtherAfterARefresh()
    {
        var admin = await StaffJourneys.CreateAsync(_a, StaffRoles.Administrator);
        using var onA = _a.NewBrowser();
        await StaffJourneys.SignInAsync(_a, onA, admin);
        using var visitorOnB = _b.NewBrowser();
        Assert.Equal("SMALL", _b.Service<IOptionsMonitor<SiteOptions>>().CurrentValue.OperatorName);

        await SettingsTests.SaveAsync(onA, new() { ["Input.OperatorName"] = "Changed on A", ["Input.AccountPostsPerWindow"] = "7" });
        await WaitForAsync(() => _b.Service<IOptionsMonitor<SiteOptions>>().CurrentValue.OperatorName == "Changed on A");
        Assert.Equal(7, _b.Service<IOptionsMonitor<RateLimitOptions>>().CurrentValue.AccountPostsPerWindow);
        var policy = await visitorOnB.GetAsync("/privacy");
        Assert.Contains(_b.Text("Settings.FooterOperatorBin", "Changed on A", SettingsTests.Bin), policy.Text, StringComparison.Ordinal);

        // And back: a save on B reaches A, and B's page shows who saved on A before.
        using var onB = _b.NewBrowser();
        await StaffJourneys.SignInAsync(_b, onB, admin);
        var form = await onB.GetAsync("/admin/settings");
        Assert.Contains(admin.Email, form.Document.GetElementById("operator-name-source")?.TextContent, StringComparison.Ordinal);
        await SettingsTests.SaveAsync(onB, new() { ["Input.VerifiedRetentionDays"] = "14" }, form);
        await WaitForAsync(() => _a.Service<IOptionsMonitor<DocumentOptions>>().CurrentValue.VerifiedRetention == TimeSpan.FromDays(14));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The other instance did not see the change within 10 s.");
            await Task.Delay(50);
        }
    }
}

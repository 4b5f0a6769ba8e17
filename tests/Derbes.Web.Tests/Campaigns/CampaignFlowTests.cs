using System.Net;
using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Campaigns;

/// <summary>
/// Campaigns from Marketing's pages to the customers' inboxes (issue 8): only to those whose consent for the channel
/// is active when each message leaves, in their language, at the configured pace, inside the working-day window
/// (waiting over a weekend, pausing at the window's end), with pause, resume and cancel; and exactly once each when
/// several instances send one campaign.
/// </summary>
public sealed class CampaignFlowTests
{
    /// <summary>Wednesday 25 November 2026, 10:00 in Almaty: a working day, inside the window.</summary>
    private static readonly DateTimeOffset Wednesday = new(2026, 11, 25, 5, 0, 0, TimeSpan.Zero);

    /// <summary>The background sender's interval in tests that count what each pass releases: it runs at start, then not again.</summary>
    private const string Quiet = "40.00:00:00";

    private static async Task<Browser> MarketingAsync(DerbesApp app)
    {
        var login = await StaffJourneys.CreateAsync(app, StaffRoles.Marketing);
        var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, login);
        return browser;
    }

    /// <summary>Customers seeded straight into the database, each with (or without) the email advertising consent.</summary>
    private static async Task<List<SeededCustomer>> CustomersAsync(DerbesApp app, int count, bool agree, string language = "kk")
    {
        var seeded = await CustomerSeed.AddAsync(app, count, _ => false, language);
        await using var scope = app.Services.CreateAsyncScope();
        var ledger = scope.ServiceProvider.GetRequiredService<ConsentLedger>();
        foreach (var customer in seeded)
        {
            ledger.Record(customer.Id, ConsentPurpose.AdvertisingEmail, agree, 1, language, agree ? "advertising by email" : "no advertising");
        }
        await scope.ServiceProvider.GetRequiredService<DerbesDb>().SaveChangesAsync();
        return seeded;
    }

    private static Dictionary<string, string> Form(string name, string kkBody = "Жеңілдіктер **бүгін**!", string ruBody = "Скидки **сегодня**!") => new()
    {
        ["Input.Name"] = name,
        ["Input.Kind"] = "Advertising",
        ["Input.Channel"] = "Email",
        ["Input.Language"] = "",
        ["Input.Subject[kk]"] = "SMALL жеңілдіктері",
        ["Input.Body[kk]"] = kkBody,
        ["Input.Subject[ru]"] = "Скидки SMALL",
        ["Input.Body[ru]"] = ruBody,
        ["Input.Subject[en]"] = "",
        ["Input.Body[en]"] = "",
    };

    private static async Task<long> CreateAsync(Browser marketing, Dictionary<string, string> fields)
    {
        var page = await marketing.SubmitAsync(await marketing.GetAsync("/admin/campaigns/new"), fields);
        Assert.Matches(@"^/admin/campaigns/\d+$", page.Url.AbsolutePath);
        return long.Parse(page.Url.AbsolutePath.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task<WebPage> StepAsync(Browser marketing, WebPage page, string handler, Dictionary<string, string>? fields = null) =>
        marketing.SubmitAsync(page, fields, formSelector: $"form[action*='handler={handler}']");

    private static Task<int> TickAsync(DerbesApp app) => app.Service<CampaignSender>().TickAsync(CancellationToken.None);

    /// <summary>Waits until the outbox worker has dealt with every released message of the campaign.</summary>
    private static async Task<List<OutboxMessage>> SettledAsync(DerbesApp app, long id)
    {
        var reference = Campaign.ReferenceOf(id);
        var held = OutboxMessage.Held;
        for (var i = 0; i < 150; i++)
        {
            var rows = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.Reference == reference).OrderBy(m => m.Id).ToListAsync());
            if (rows.All(m => m.SentAt is not null || m.AvailableAt == held))
            {
                return rows;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The outbox did not settle.");
    }

    private static async Task<T> UntilAsync<T>(DerbesApp app, Func<Task<T?>> attempt) where T : class
    {
        for (var i = 0; i < 100; i++)
        {
            if (await attempt() is { } result)
            {
                return result;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The site did not get there.");
    }

    private static Task<Campaign> CampaignAsync(DerbesApp app, long id) =>
        app.WithDbAsync(db => db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id));

    [Fact]
    public async Task MarketingWritesACampaignAndItReachesOnlyThoseWhoAgreedInTheirLanguageWithoutAnyScript()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var kk = await CustomersAsync(app, 2, agree: true, "kk");
        var ru = await CustomersAsync(app, 1, agree: true, "ru");
        var declined = await CustomersAsync(app, 2, agree: false, "ru");
        using var marketing = await MarketingAsync(app);

        // The Russian text is required: refused beside its field, what was typed kept, nothing stored.
        var missing = Form("Ноябрь");
        missing["Input.Body[ru]"] = "";
        var refused = await marketing.SubmitAsync(await marketing.GetAsync("/admin/campaigns/new"), missing);
        Assert.Equal("/admin/campaigns/new", refused.Url.AbsolutePath);
        Assert.NotEmpty(refused.ErrorText("body-ru-error"));
        Assert.Equal("Ноябрь", refused.Document.GetElementById("Input_Name")!.GetAttribute("value"));
        Assert.Equal(0, await app.WithDbAsync(db => db.Campaigns.CountAsync()));

        // Script in the Markdown: typed tags come out as text, a javascript: link loses its target.
        var id = await CreateAsync(marketing, Form("Ноябрь", kkBody: "Сәлем <script>alert('kk')</script> [сілтеме](javascript:alert(1)) **бүгін**"));
        var details = await marketing.GetAsync($"/admin/campaigns/{id}");
        Assert.Equal("3", details.ErrorText("audience"));
        // Marketing sees a count, never a customer.
        foreach (var customer in kk.Concat(ru).Concat(declined))
        {
            Assert.DoesNotContain(customer.Email, details.Body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(customer.Number, details.Body, StringComparison.Ordinal);
        }
        var preview = await marketing.GetAsync($"/admin/campaigns/{id}/preview?lang=kk");
        Assert.Equal(HttpStatusCode.OK, preview.Status);
        Assert.DoesNotContain("<script", preview.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", preview.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<strong>бүгін</strong>", preview.Body, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none';", preview.Header("Content-Security-Policy"), StringComparison.Ordinal);

        // The site's own sender (every 5 s) starts it, queues and releases it; the outbox worker sends.
        var started = await StepAsync(marketing, details, "schedule", new Dictionary<string, string> { ["Now"] = "true" });
        Assert.Equal(HttpStatusCode.OK, started.Status);
        var rows = await UntilAsync(app, async () =>
        {
            app.Clock.Advance(TimeSpan.FromSeconds(5));
            var all = await SettledAsync(app, id);
            return all.Count == 3 && all.All(m => m.SentAt is not null) ? all : null;
        });
        Assert.Equal(3, rows.Count);

        foreach (var customer in kk)
        {
            var mail = await app.Mail.WaitForAsync(customer.Email, "SMALL жеңілдіктері");
            Assert.DoesNotContain("<script", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("javascript:", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("25.11.2026", mail.TextBody, StringComparison.Ordinal);
            Assert.Contains("/unsubscribe/", mail.Headers["List-Unsubscribe"], StringComparison.Ordinal);
        }
        var russian = await app.Mail.WaitForAsync(ru[0].Email, "Скидки SMALL");
        Assert.Contains("<strong>сегодня</strong>", russian.HtmlBody, StringComparison.Ordinal);
        foreach (var customer in declined)
        {
            Assert.Empty(app.Mail.All(customer.Email));
        }

        // Completed at a next pass, with its figures.
        await UntilAsync(app, async () =>
        {
            app.Clock.Advance(TimeSpan.FromSeconds(5));
            return (await CampaignAsync(app, id)).Status == CampaignStatus.Completed ? "done" : null;
        });
        var figures = await marketing.GetAsync($"/admin/campaigns/{id}");
        Assert.Equal("3", figures.ErrorText("sent"));
        Assert.Equal("0", figures.ErrorText("waiting"));
    }

    [Fact]
    public async Task AWithdrawalBetweenTwoSendsOfOneCampaignIsHonoured()
    {
        using var app = new DerbesApp(new() { ["Campaigns:EmailsPerMinute"] = "1", ["Campaigns:Interval"] = Quiet }, startAt: Wednesday);
        var customers = await CustomersAsync(app, 2, agree: true);
        using var marketing = await MarketingAsync(app);
        var id = await CreateAsync(marketing, Form("Бір-бірден"));
        await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "schedule", new() { ["Now"] = "true" });

        // One a minute: the first leaves.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await TickAsync(app));
        var first = (await SettledAsync(app, id)).Single(m => m.SentAt is not null);
        var firstCustomer = customers.Single(c => c.Id == first.AccountId);
        var second = customers.Single(c => c.Id != first.AccountId);
        await app.Mail.WaitForAsync(firstCustomer.Email, "SMALL");

        // The second customer withdraws before their turn: their message is not sent, and the figures say so.
        await CustomerSeed.RecordAsync(app, second.Id, ConsentPurpose.AdvertisingEmail, granted: false);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await TickAsync(app));
        var rows = await SettledAsync(app, id);
        var skipped = rows.Single(m => m.AccountId == second.Id);
        Assert.Equal("not sent: consent withdrawn", skipped.LastError);
        Assert.Empty(app.Mail.All(second.Email));
        var page = await marketing.GetAsync($"/admin/campaigns/{id}");
        Assert.Equal("1", page.ErrorText("sent"));
        Assert.Equal("1", page.ErrorText("skipped"));
    }

    [Fact]
    public async Task ACampaignStartedOnASaturdayWaitsForMondayAndOneReachingTheWindowsEndPausesUntilTheNextWorkingDay()
    {
        // Saturday 28 November 2026, 12:00 in Almaty.
        using var app = new DerbesApp(new() { ["Campaigns:EmailsPerMinute"] = "1", ["Campaigns:Interval"] = Quiet }, startAt: new DateTimeOffset(2026, 11, 28, 7, 0, 0, TimeSpan.Zero));
        var customers = await CustomersAsync(app, 3, agree: true);
        using var marketing = await MarketingAsync(app);
        var id = await CreateAsync(marketing, Form("Сенбі"));
        await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "schedule", new() { ["Now"] = "true" });
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await TickAsync(app));
        var waiting = await marketing.GetAsync($"/admin/campaigns/{id}");
        Assert.Contains("30.11.2026 09:00", waiting.ErrorText("waiting-window"), StringComparison.Ordinal);
        Assert.Equal("3", waiting.ErrorText("waiting"));
        Assert.Equal(0, customers.Sum(c => app.Mail.All(c.Email).Count));

        // The window's end: Monday 20:58, one a minute; one leaves at 20:58, one at 20:59, none after 21:00.
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 30, 15, 58, 0, TimeSpan.Zero));
        Assert.Equal(1, await TickAsync(app));
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await TickAsync(app));
        await SettledAsync(app, id);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, await TickAsync(app));
        var rows = await SettledAsync(app, id);
        Assert.Equal(2, rows.Count(m => m.SentAt is not null));
        Assert.Equal(1, rows.Count(m => m.AvailableAt == OutboxMessage.Held));

        // Tuesday 09:00 it goes on at the same pace: the last one, then completed.
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 4, 0, 30, TimeSpan.Zero));
        Assert.Equal(1, await TickAsync(app));
        rows = await SettledAsync(app, id);
        Assert.All(rows, m => Assert.Null(m.LastError));
        Assert.All(rows, m => Assert.True(m.SentAt!.Value.ToOffset(TimeSpan.FromHours(5)).Hour is >= 9 and < 21));
        await TickAsync(app);
        Assert.Equal(CampaignStatus.Completed, (await CampaignAsync(app, id)).Status);
        foreach (var customer in customers)
        {
            Assert.Single(app.Mail.All(customer.Email));
        }
    }

    [Fact]
    public async Task PauseStopsTheReleaseResumeGoesOnAndCancelSendsNothingMore()
    {
        using var app = new DerbesApp(new() { ["Campaigns:EmailsPerMinute"] = "1", ["Campaigns:Interval"] = Quiet }, startAt: Wednesday);
        var customers = await CustomersAsync(app, 4, agree: true);
        using var marketing = await MarketingAsync(app);
        var id = await CreateAsync(marketing, Form("Кідіріс"));
        await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "schedule", new() { ["Now"] = "true" });
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await TickAsync(app));
        await SettledAsync(app, id);

        var paused = await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "pause");
        Assert.Equal("Paused", paused.Document.GetElementById("status")!.GetAttribute("data-status"));
        app.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(0, await TickAsync(app));

        var resumed = await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "resume");
        Assert.Equal("Sending", resumed.Document.GetElementById("status")!.GetAttribute("data-status"));
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await TickAsync(app));
        await SettledAsync(app, id);

        // Cancelling is confirmed first; then the two left are recorded as not sent and never leave.
        var page = await marketing.GetAsync($"/admin/campaigns/{id}");
        var unconfirmed = await StepAsync(marketing, page, "cancel", new() { ["Confirm"] = "false" });
        Assert.NotEmpty(unconfirmed.ErrorText("refused"));
        var cancelled = await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "cancel", new() { ["Confirm"] = "true" });
        Assert.Equal("Cancelled", cancelled.Document.GetElementById("status")!.GetAttribute("data-status"));
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await TickAsync(app));
        var rows = await SettledAsync(app, id);
        Assert.Equal(2, rows.Count(m => m.LastError is null));
        Assert.Equal(2, rows.Count(m => m.LastError == "not sent: the campaign was cancelled"));
        Assert.Equal(2, customers.Sum(c => app.Mail.All(c.Email).Count));
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Subject == "campaign:" + id).Select(e => e.Action).ToListAsync());
        Assert.Contains("campaign.paused", audit);
        Assert.Contains("campaign.resumed", audit);
        Assert.Contains("campaign.cancelled", audit);
    }

    [Fact]
    public async Task OnlyMarketingOpensTheCampaignsAndAStartedCampaignCannotBeEdited()
    {
        using var app = new DerbesApp(new() { ["Campaigns:Interval"] = Quiet }, startAt: Wednesday);
        var support = await StaffJourneys.CreateAsync(app, StaffRoles.Support);
        using var supportBrowser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, supportBrowser, support);
        Assert.Equal(HttpStatusCode.Forbidden, (await supportBrowser.GetAsync("/admin/campaigns")).Status);

        using var marketing = await MarketingAsync(app);
        var id = await CreateAsync(marketing, Form("Өңдеу"));
        var stale = await marketing.GetAsync($"/admin/campaigns/{id}/edit");
        var fields = Form("Өңдеу 2");
        Assert.Equal($"/admin/campaigns/{id}", (await marketing.SubmitAsync(stale, fields)).Url.AbsolutePath);
        // The same form again carries the old version: refused, nothing changed.
        var conflict = await marketing.SubmitAsync(stale, Form("Өңдеу 3"));
        Assert.NotEmpty(conflict.ErrorText("refused"));
        Assert.Equal("Өңдеу 2", (await CampaignAsync(app, id)).Name);

        await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "schedule", new() { ["Now"] = "true" });
        await TickAsync(app);
        // Started (and, with nobody to send to, at once completed): the edit page leads back to the campaign, and a
        // post of the old form changes nothing.
        Assert.Equal(CampaignStatus.Completed, (await CampaignAsync(app, id)).Status);
        Assert.Equal($"/admin/campaigns/{id}", (await marketing.GetAsync($"/admin/campaigns/{id}/edit")).Url.AbsolutePath);
        var late = await marketing.SubmitAsync(stale, Form("Өңдеу 4"));
        Assert.NotEmpty(late.ErrorText("refused"));
        Assert.Equal("Өңдеу 2", (await CampaignAsync(app, id)).Name);
    }

    [Fact]
    public async Task TwoSendersAtOnceQueueAndSendEachCustomerExactlyOnce()
    {
        using var a = new DerbesApp(new() { ["Campaigns:EmailsPerMinute"] = "1000", ["Campaigns:PlanBatchSize"] = "100" }, startAt: Wednesday);
        a.NewBrowser().Dispose();
        // On PostgreSQL a second instance of the site on the same database; on SQLite (one instance by design) the
        // same site's sender twice at once.
        using var b = a.OnPostgres ? new DerbesApp(new() { ["Campaigns:EmailsPerMinute"] = "1000", ["Campaigns:PlanBatchSize"] = "100" }, shareWith: a) : null;
        b?.NewBrowser().Dispose();
        var customers = await CustomersAsync(a, 120, agree: true);
        using var marketing = await MarketingAsync(a);
        var id = await CreateAsync(marketing, Form("Екі данада"));
        await StepAsync(marketing, await marketing.GetAsync($"/admin/campaigns/{id}"), "schedule", new() { ["Now"] = "true" });
        a.Clock.Advance(TimeSpan.FromMinutes(1));
        var other = b ?? a;
        await Task.WhenAll(
            Task.Run(() => TickAsync(a)), Task.Run(() => TickAsync(other)), Task.Run(() => TickAsync(a)), Task.Run(() => TickAsync(other)));
        a.Clock.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(Task.Run(() => TickAsync(a)), Task.Run(() => TickAsync(other)));
        var rows = await SettledAsync(a, id);
        Assert.Equal(120, rows.Count);
        Assert.Equal(120, rows.Select(m => m.AccountId).Distinct().Count());
        Assert.All(rows, m => Assert.NotNull(m.SentAt));
        var run = await a.WithDbAsync(db => db.CampaignRuns.AsNoTracking().SingleAsync(r => r.CampaignId == id));
        Assert.Equal(120, run.Queued);
        foreach (var customer in customers)
        {
            Assert.Single(a.Mail.All(customer.Email));
        }
    }
}

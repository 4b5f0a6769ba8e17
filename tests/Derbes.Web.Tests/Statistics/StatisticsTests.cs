using System.Net;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Messaging;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Statistics;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Statistics;

/// <summary>
/// The depersonalised statistics (issue 9, policy 2.2.5, Art. 17): the figures of a small seeded set as the page and the
/// CSV show them, the "&lt;10" rule at its boundary, the filters and bad input, who may look, and that nothing about a
/// single customer can be reached from them.
/// </summary>
public sealed class StatisticsTests
{
    /// <summary>Monday 2 March 2026, 10:00 in Almaty.</summary>
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 5, 0, 0, TimeSpan.Zero);

    private const string Range = "From=2026-03-02&To=2026-03-05";

    private static DerbesApp NewApp() => new(new() { ["Statistics:RefreshInterval"] = "30.00:00:00" }, startAt: Monday);

    private sealed record Seeded(List<SeededCustomer> Customers, long CampaignId);

    /// <summary>
    /// Day 1 (02.03): 20 kk customers and 20 ru (10 of them unconfirmed); 12 documents verified; 12 successful and 3 failed
    /// sign-ins; the 20 kk agree to email advertising and 10 of them withdraw from a campaign's email; 10 information
    /// requests and 10 complaints received. Day 2: 9 en customers. Day 3: 10 en customers; the 10 information requests
    /// answered (due day 4: in time). Day 4 (05.03): the 10 complaints answered (due day 2: late). Then the job runs.
    /// </summary>
    private static async Task<Seeded> SeedAsync(DerbesApp app)
    {
        var all = new List<SeededCustomer>();
        var kk = await CustomerSeed.AddAsync(app, 20, _ => false, "kk");
        var ru = await CustomerSeed.AddAsync(app, 20, _ => false, "ru");
        all.AddRange(kk);
        all.AddRange(ru);
        var now = app.Clock.GetUtcNow();
        long campaignId = 0;
        await app.WithDbAsync(async db =>
        {
            var unconfirmed = ru.Take(10).Select(c => c.Id).ToList();
            await db.Users.Where(a => unconfirmed.Contains(a.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.EmailConfirmed, false).SetProperty(a => a.ConfirmedAt, (DateTimeOffset?)null).SetProperty(a => a.Status, AccountStatus.Unconfirmed));
            foreach (var c in kk.Take(12))
            {
                db.Documents.Add(new CustomerDocument
                {
                    Id = Guid.NewGuid(),
                    AccountId = c.Id,
                    StorageName = Guid.NewGuid().ToString("N"),
                    ContentType = "application/pdf",
                    Size = 10,
                    Sha256 = new string('0', 64),
                    Status = DocumentStatus.Verified,
                    UploadedAt = now,
                    ReviewDueAt = now.AddDays(1),
                    ReviewedAt = now.AddMinutes(30),
                });
            }
            var campaign = new Campaign
            {
                Name = "Көктем акциясы",
                Kind = CampaignKind.Advertising,
                Channel = MessageChannel.Email,
                Status = CampaignStatus.Completed,
                CreatedBy = Guid.NewGuid(),
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Campaigns.Add(campaign);
            var sequence = 0;
            foreach (var (c, kind, due) in kk.Take(10).Select(c => (c, RequestKind.Information, new DateOnly(2026, 3, 5)))
                .Concat(ru.Skip(10).Select(c => (c, RequestKind.Complaint, new DateOnly(2026, 3, 3)))))
            {
                sequence++;
                db.CustomerRequests.Add(new CustomerRequest
                {
                    Number = CustomerRequest.FormatNumber("TEST", 2026, sequence),
                    Year = 2026,
                    Sequence = sequence,
                    AccountId = c.Id,
                    Kind = kind,
                    ReceivedAt = now,
                    ReceivedOn = new DateOnly(2026, 3, 2),
                    DueOn = due,
                    Status = RequestStatus.InProgress,
                });
            }
            await db.SaveChangesAsync();
            campaignId = campaign.Id;
            return 0;
        });
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var ledger = scope.ServiceProvider.GetRequiredService<ConsentLedger>();
            var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
            foreach (var c in kk)
            {
                ledger.Record(c.Id, ConsentPurpose.AdvertisingEmail, true, 1, "kk", "advertising by email");
            }
            for (var i = 0; i < 12; i++)
            {
                audit.Record("signin.succeeded", kk[i].Id, actor: kk[i].Id.ToString(), role: AuditTrail.CustomerRole);
            }
            for (var i = 0; i < 3; i++)
            {
                audit.Record("signin.failed", kk[i].Id, "wrong-password");
            }
            await scope.ServiceProvider.GetRequiredService<DerbesDb>().SaveChangesAsync();
        }
        app.Clock.Advance(TimeSpan.FromHours(1));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var ledger = scope.ServiceProvider.GetRequiredService<ConsentLedger>();
            foreach (var c in kk.Take(10))
            {
                ledger.Record(c.Id, ConsentPurpose.AdvertisingEmail, false, 1, "kk", "unsubscribe", channel: ConsentChannel.EmailLink, reference: Campaign.ReferenceOf(campaignId));
            }
            await scope.ServiceProvider.GetRequiredService<DerbesDb>().SaveChangesAsync();
        }

        app.Clock.Advance(TimeSpan.FromDays(1));
        all.AddRange(await CustomerSeed.AddAsync(app, 9, _ => false, "en"));
        app.Clock.Advance(TimeSpan.FromDays(1));
        all.AddRange(await CustomerSeed.AddAsync(app, 10, _ => false, "en"));
        await AnswerAsync(app, RequestKind.Information);
        app.Clock.Advance(TimeSpan.FromDays(1));
        await AnswerAsync(app, RequestKind.Complaint);
        await app.Service<StatisticsJob>().RefreshAsync(CancellationToken.None);
        return new Seeded(all, campaignId);
    }

    private static Task<int> AnswerAsync(DerbesApp app, RequestKind kind)
    {
        var now = app.Clock.GetUtcNow();
        return app.WithDbAsync(db => db.CustomerRequests.Where(r => r.Kind == kind)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.AnsweredAt, now).SetProperty(r => r.Status, RequestStatus.Answered)));
    }

    private static async Task<(Browser Browser, StaffLogin Login)> StaffAsync(DerbesApp app, string role)
    {
        var login = await StaffJourneys.CreateAsync(app, role);
        var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, login);
        return (browser, login);
    }

    /// <summary>The cells of the row labelled <paramref name="label"/> in table <paramref name="table"/>, as shown.</summary>
    private static List<string> Row(WebPage page, string table, string label)
    {
        var row = page.Document.QuerySelectorAll($"#table-{table} tbody tr").FirstOrDefault(r => r.QuerySelector("th")?.TextContent.Trim() == label)
            ?? throw new Xunit.Sdk.XunitException($"No row '{label}' in table {table}");
        return [.. row.QuerySelectorAll("td").Select(td => td.TextContent.Trim())];
    }

    private static List<string> Rows(WebPage page, string table, string label) =>
        [.. page.Document.QuerySelectorAll($"#table-{table} tbody tr").Where(r => r.QuerySelector("th")?.TextContent.Trim() == label)
            .Select(r => string.Join("|", r.QuerySelectorAll("td").Select(td => td.TextContent.Trim())))];

    private static async Task<string> CsvAsync(Browser browser, string query)
    {
        var response = await browser.Client.GetAsync("/admin/statistics?handler=csv&" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        return Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).TrimStart('\uFEFF');
    }

    [Fact]
    public async Task The_figures_of_a_small_seeded_set_show_on_the_page_with_fewer_than_ten_hidden()
    {
        using var app = NewApp();
        var seeded = await SeedAsync(app);
        var (marketing, _) = await StaffAsync(app, StaffRoles.Marketing);

        var page = await marketing.GetAsync("/admin/statistics?" + Range + "&Language=&Group=Day");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        // Registered, email confirmed, confirmation rate, documents verified, rejected, verification rate.
        Assert.Equal(["40", "30", "75.0 %", "12", "0", "100.0 %"], Row(page, "registrations", "02.03.2026"));
        Assert.Equal(["<10", "<10", "<10", "0", "0", "—"], Row(page, "registrations", "03.03.2026"));
        Assert.Equal(["10", "10", "100.0 %", "0", "0", "—"], Row(page, "registrations", "04.03.2026"));
        Assert.Equal(["0", "0", "—", "0", "0", "—"], Row(page, "registrations", "05.03.2026"));
        // A total beside a hidden cell is a lower bound, so the hidden 9 cannot be found by subtraction.
        Assert.Equal(["≥ 50", "≥ 40", "<10", "12", "0", "100.0 %"], Row(page, "registrations", app.Text("Statistics.Total")));
        Assert.Equal(["12", "<10"], Row(page, "signins", "02.03.2026"));
        Assert.Equal(["10"], Row(page, "optouts", "Көктем акциясы"));
        // Email advertising: each active customer's latest record. 10 agree by the website form, 10 withdrew by the email's link.
        var advertising = Rows(page, "consents", app.Text("ConsentPurpose.AdvertisingEmail"));
        Assert.Equal([
            app.Text("Statistics.AllChannels") + "|10|10|50.0 %",
            app.Text("ConsentChannel.WebForm") + "|10|0|100.0 %",
            app.Text("ConsentChannel.EmailLink") + "|0|10|0.0 %"], advertising);
        // Received, answered on time, late, on-time share, overdue now.
        Assert.Equal(["10", "10", "0", "100.0 %", "0"], Row(page, "requests", app.Text("RequestKind.Information")));
        Assert.Equal(["10", "0", "10", "0.0 %", "0"], Row(page, "requests", app.Text("RequestKind.Complaint")));
        // Active customers by preferred language: kk 20, ru 10 (10 never confirmed), en 19.
        Assert.Equal(["20"], Row(page, "languages", app.Text("PolicyAdmin.Language.kk")));
        Assert.Equal(["10"], Row(page, "languages", app.Text("PolicyAdmin.Language.ru")));
        Assert.Equal(["19"], Row(page, "languages", app.Text("PolicyAdmin.Language.en")));
        Assert.Equal(["49"], Row(page, "languages", app.Text("Statistics.Total")));
        var summary = page.Document.QuerySelectorAll("#statistics-summary dd").Select(d => d.TextContent.Trim()).ToList();
        Assert.Equal("49", summary[0]);
        // Each chart is an image with its title and description, beside its table; the hidden cell is drawn as an outline.
        foreach (var id in StatisticsReport.TableIds)
        {
            var svg = page.Document.QuerySelector($"#table-{id} svg");
            Assert.NotNull(svg);
            Assert.Equal("img", svg.GetAttribute("role"));
            Assert.NotNull(svg.QuerySelector("title"));
            Assert.NotNull(svg.QuerySelector("desc"));
            Assert.Null(svg.QuerySelector("[style]"));
        }
        Assert.Contains("03.03.2026 · " + app.Text("Statistics.Registered") + ": <10", page.Document.QuerySelector("#table-registrations svg")!.TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Document.QuerySelector("#table-registrations svg rect.chart-few"));
        Assert.Empty(page.Document.QuerySelectorAll("script:not([src])"));

        // By month the whole range is one period: exact.
        var month = await marketing.GetAsync("/admin/statistics?" + Range + "&Group=Month");
        Assert.Equal(["59", "49", "83.1 %", "12", "0", "100.0 %"], Row(month, "registrations", "03.2026"));
        Assert.Equal(["59", "49", "83.1 %", "12", "0", "100.0 %"], Row(month, "registrations", app.Text("Statistics.Total")));
        // By week: Monday 2 to Thursday 5 March is one week, cut to the range.
        var week = await marketing.GetAsync("/admin/statistics?" + Range + "&Group=Week");
        Assert.Equal("59", Row(week, "registrations", "02.03.2026–05.03.2026")[0]);

        // One language: Kazakh customers only (sign-ins are not split by language and stay whole).
        var kazakh = await marketing.GetAsync("/admin/statistics?" + Range + "&Language=kk");
        Assert.Equal(["20", "20", "100.0 %", "12", "0", "100.0 %"], Row(kazakh, "registrations", "02.03.2026"));
        Assert.Equal(["0", "0", "—", "0", "0", "—"], Row(kazakh, "registrations", "04.03.2026"));
        Assert.Equal("20", kazakh.Document.QuerySelectorAll("#statistics-summary dd")[0].TextContent.Trim());
        Assert.Equal(["0", "0", "0", "—", "0"], Row(kazakh, "requests", app.Text("RequestKind.Complaint")));
        // The boundary: 9 English customers on the 3rd show as "<10", 10 on the 4th as 10.
        var english = await marketing.GetAsync("/admin/statistics?" + Range + "&Language=en");
        Assert.Equal("<10", Row(english, "registrations", "03.03.2026")[0]);
        Assert.Equal("10", Row(english, "registrations", "04.03.2026")[0]);
        Assert.DoesNotContain(">9<", english.Body, StringComparison.Ordinal);

        // A range outside the data: zeros, never an error.
        var empty = await marketing.GetAsync("/admin/statistics?From=2025-01-01&To=2025-01-31&Group=Month");
        Assert.Equal(["0", "0", "—", "0", "0", "—"], Row(empty, "registrations", "01.2025"));
        Assert.NotNull(seeded);
    }

    [Fact]
    public async Task The_csv_shows_the_same_cells_and_its_export_is_audited()
    {
        using var app = NewApp();
        await SeedAsync(app);
        var (officer, login) = await StaffAsync(app, StaffRoles.PrivacyOfficer);

        var response = await officer.Client.GetAsync("/admin/statistics?handler=csv&table=registrations&" + Range + "&Language=en&Group=Day");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("derbes-statistics-registrations-2026-03-02_2026-03-05-en.csv", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var csv = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).TrimStart('\uFEFF');
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Equal("\"03.03.2026\",\"<10\",\"<10\",\"<10\",\"0\",\"0\",\"—\"", lines[2]);
        Assert.Equal("\"04.03.2026\",\"10\",\"10\",\"100.0 %\",\"0\",\"0\",\"—\"", lines[3]);
        Assert.DoesNotContain("\"9\"", csv, StringComparison.Ordinal);

        var signIns = await CsvAsync(officer, "table=signins&" + Range);
        Assert.Contains("\"02.03.2026\",\"12\",\"<10\"", signIns, StringComparison.Ordinal);
        var optOuts = await CsvAsync(officer, "table=optouts&" + Range);
        Assert.Contains("\"Көктем акциясы\",\"10\"", optOuts, StringComparison.Ordinal);

        var exports = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action == "statistics.exported").OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(3, exports.Count);
        Assert.All(exports, e => Assert.Equal(login.Id.ToString(), e.Actor));
        Assert.Equal("statistics:registrations", exports[0].Subject);
        Assert.Equal("2026-03-02_2026-03-05 en day", exports[0].Outcome);
        // Looking is not audited: counts are not anyone's personal data.
        await officer.GetAsync("/admin/statistics?" + Range);
        Assert.Equal(3, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action.StartsWith("statistics."))));
    }

    [Fact]
    public async Task Bad_dates_and_filters_give_field_errors_not_failures()
    {
        using var app = NewApp();
        var (marketing, _) = await StaffAsync(app, StaffRoles.Marketing);

        var notADate = await marketing.GetAsync("/admin/statistics?From=2026-13-45&To=2026-03-05");
        Assert.Equal(HttpStatusCode.OK, notADate.Status);
        Assert.NotEmpty(notADate.ErrorText("from-error"));
        Assert.Null(notADate.Document.QuerySelector("#statistics-summary"));
        Assert.Equal("true", notADate.Document.GetElementById("From")!.GetAttribute("aria-invalid"));

        var reversed = await marketing.GetAsync("/admin/statistics?From=2026-03-05&To=2026-03-01");
        Assert.Equal(app.Text("Statistics.ToBeforeFrom"), reversed.ErrorText("to-error"));
        Assert.Null(reversed.Document.QuerySelector("#statistics-summary"));

        var tooLong = await marketing.GetAsync("/admin/statistics?From=2020-01-01&To=2026-03-01");
        Assert.Equal(app.Text("Statistics.RangeTooLong", 1096), tooLong.ErrorText("to-error"));
        var threeYears = await marketing.GetAsync("/admin/statistics?From=2023-03-03&To=2026-03-02&Group=Month");
        Assert.Empty(threeYears.ErrorText("to-error"));
        Assert.NotNull(threeYears.Document.QuerySelector("#statistics-summary"));

        var language = await marketing.GetAsync("/admin/statistics?Language=de");
        Assert.Equal(app.Text("Statistics.BadLanguage"), language.ErrorText("language-error"));
        var group = await marketing.GetAsync("/admin/statistics?Group=Year");
        Assert.NotEmpty(group.ErrorText("group-error"));

        // The CSV of a bad range is no file: the page again, with the error.
        var csv = await marketing.Client.GetAsync("/admin/statistics?handler=csv&table=registrations&From=2026-03-05&To=2026-03-01");
        Assert.Equal("text/html", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await marketing.Client.GetAsync("/admin/statistics?handler=csv&table=accounts")).StatusCode);

        // No filter: the last 30 days up to today in Almaty.
        var defaults = await marketing.GetAsync("/admin/statistics");
        Assert.Equal("2026-02-01", defaults.Document.GetElementById("From")!.GetAttribute("value"));
        Assert.Equal("2026-03-02", defaults.Document.GetElementById("To")!.GetAttribute("value"));
        Assert.Equal(30, defaults.Document.QuerySelectorAll("#table-registrations tbody tr:not(.total)").Length);
    }

    [Fact]
    public async Task Marketing_and_the_privacy_officer_see_the_statistics_support_and_customers_do_not()
    {
        using var app = NewApp();
        foreach (var role in new[] { StaffRoles.Marketing, StaffRoles.PrivacyOfficer })
        {
            var (browser, _) = await StaffAsync(app, role);
            using (browser)
            {
                Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/statistics")).Status);
                Assert.NotNull((await browser.GetAsync("/admin")).Document.QuerySelector("a[href='/admin/statistics']"));
            }
        }
        var (support, _) = await StaffAsync(app, StaffRoles.Support);
        using (support)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await support.Client.GetAsync("/admin/statistics")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await support.Client.GetAsync("/admin/statistics?handler=csv&table=registrations")).StatusCode);
            Assert.Null((await support.GetAsync("/admin")).Document.QuerySelector("a[href='/admin/statistics']"));
        }
        using var customer = app.NewBrowser();
        var someone = await Journeys.RegisteredAndConfirmedAsync(app, customer);
        await Journeys.SignInAsync(customer, someone.Email, someone.Password);
        var asCustomer = await customer.Client.GetAsync("/admin/statistics");
        Assert.NotEqual(HttpStatusCode.OK, asCustomer.StatusCode);
        using var anonymous = app.NewBrowser();
        var notSignedIn = await anonymous.GetAsync("/admin/statistics");
        Assert.Null(notSignedIn.Document.QuerySelector("#statistics-summary"));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "statistics.exported")));
    }

    [Fact]
    public async Task No_customer_level_row_is_reachable_from_the_statistics_or_their_exports()
    {
        using var app = NewApp();
        var seeded = await SeedAsync(app);
        using var registering = app.NewBrowser();
        var someone = await Journeys.RegisteredAndConfirmedAsync(app, registering);
        var someoneId = await app.AccountIdAsync(someone.Email);
        await app.Service<StatisticsJob>().RefreshAsync(CancellationToken.None);
        var (officer, _) = await StaffAsync(app, StaffRoles.PrivacyOfficer);

        var numbers = await app.WithDbAsync(db => db.Users.Where(a => a.Kind == AccountKind.Customer).Select(a => a.UserName!).ToListAsync());
        var forbidden = seeded.Customers.SelectMany(c => new[] { c.Email, c.Number, c.Id.ToString(), c.Id.ToString("N"), c.Id.ToString().ToUpperInvariant() })
            .Concat([someone.Email, someone.FirstName, someone.LastName, someone.PhoneTyped, someone.PhoneE164, someoneId.ToString(), someoneId.ToString("N")])
            .Concat(numbers)
            // The seeded customers' names.
            .Concat(["Айгүл", "Сейітова"])
            .ToList();
        var bodies = new List<(string What, string Body)>();
        foreach (var language in new[] { "", "kk", "ru", "en" })
        {
            foreach (var group in new[] { "Day", "Week", "Month" })
            {
                var query = $"{Range}&Language={language}&Group={group}";
                bodies.Add((query, (await officer.GetAsync("/admin/statistics?" + query)).Body));
                foreach (var table in StatisticsReport.TableIds)
                {
                    bodies.Add((table + " " + query, await CsvAsync(officer, $"table={table}&{query}")));
                }
            }
        }
        foreach (var (what, body) in bodies)
        {
            var decoded = WebUtility.HtmlDecode(body);
            foreach (var value in forbidden)
            {
                Assert.False(decoded.Contains(value, StringComparison.OrdinalIgnoreCase), $"{what} shows '{value}'");
            }
        }

        // The aggregate table itself has no column that could hold an account: its properties are exactly these.
        var entity = await app.WithDbAsync(db => Task.FromResult(db.Model.FindEntityType(typeof(StatisticsDay))!));
        Assert.Equal(["Count", "Day", "Key", "Language", "Metric"], entity.GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(entity.GetProperties(), p => p.ClrType == typeof(Guid) || p.ClrType == typeof(Guid?) || p.ClrType == typeof(byte[]));
        Assert.Empty(entity.GetForeignKeys());
        // And what it holds are counts by day, metric, language and key: no key is an account's id.
        var keys = await app.WithDbAsync(db => db.StatisticsDays.Select(s => s.Key).Distinct().ToListAsync());
        Assert.DoesNotContain(keys, k => Guid.TryParse(k, out _));
    }

    [Fact]
    public async Task Past_days_keep_their_figures_and_only_the_recent_days_are_recomputed()
    {
        using var app = NewApp();
        await CustomerSeed.AddAsync(app, 12, _ => false, "ru");
        var job = app.Service<StatisticsJob>();
        await job.RefreshAsync(CancellationToken.None);
        app.Clock.Advance(TimeSpan.FromDays(5));
        await job.RefreshAsync(CancellationToken.None);
        // The first day's customers leave the table of accounts (as destroyed unconfirmed accounts would): that day is
        // older than the recompute window now, so its figure stays.
        await app.WithDbAsync(db => db.Users.Where(a => a.Kind == AccountKind.Customer).ExecuteUpdateAsync(s => s.SetProperty(a => a.CreatedAt, Monday.AddDays(-400))));
        app.Clock.Advance(TimeSpan.FromDays(5));
        var days = await job.RefreshAsync(CancellationToken.None);
        Assert.Equal(8, days); // from the last computed day (07.03) minus 2 to today (12.03)
        var registered = await app.WithDbAsync(db => db.StatisticsDays.Where(s => s.Metric == StatisticsMetrics.Registered).Select(s => new { s.Day, s.Count }).ToListAsync());
        Assert.Equal(new DateOnly(2026, 3, 2), Assert.Single(registered).Day);
        Assert.Equal(12, registered[0].Count);
        // Each day's snapshot is the one written while it was today, and is kept.
        var active = await app.WithDbAsync(db => db.StatisticsDays.Where(s => s.Metric == StatisticsMetrics.Active).OrderBy(s => s.Day).Select(s => s.Day).ToListAsync());
        Assert.Equal([new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 7), new DateOnly(2026, 3, 12)], active);
        // A second run the same day recomputes only the window.
        Assert.Equal(3, await job.RefreshAsync(CancellationToken.None));
    }

    [Fact]
    public void The_rule_hides_one_to_nine_and_what_would_reveal_them()
    {
        var rule = new Suppression(10);
        Assert.Equal("<10", rule.Count(9).Text);
        Assert.True(rule.Count(9).Suppressed);
        Assert.Equal("10", rule.Count(10).Text);
        Assert.Equal("0", rule.Count(0).Text);
        Assert.Equal("<10", rule.Count(1).Text);
        // 25 registered and 20 confirmed would tell that 5 did not.
        Assert.Equal("<10", rule.Part(20, 25).Text);
        Assert.Equal("20", rule.Part(20, 30).Text);
        Assert.Equal("20", rule.Part(20, 20).Text);
        Assert.Equal("<10", rule.Rate(20, 25).Text);
        Assert.Equal("66.7 %", rule.Rate(20, 30).Text);
        Assert.Equal("—", rule.Rate(0, 0).Text);
        // A total beside a hidden cell only says what the shown cells add up to.
        Assert.Equal("≥ 30", rule.Total([rule.Count(30), rule.Count(4)], 34).Text);
        Assert.Equal("34", new Suppression(2).Total([new Suppression(2).Count(30), new Suppression(2).Count(4)], 34).Text);
        Assert.Equal("—", rule.Total([rule.Count(4), rule.Count(5)], 9).Text);
        Assert.Equal("40", rule.Total([rule.Count(30), rule.Count(10), rule.Count(0)], 40).Text);
    }
}

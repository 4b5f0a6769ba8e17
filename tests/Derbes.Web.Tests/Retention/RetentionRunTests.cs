using System.Net;
using Derbes.Web.Customers;
using Derbes.Web.Documents;
using Derbes.Web.Retention;
using Derbes.Web.Security;
using Derbes.Web.Tests.Admin;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Retention;

/// <summary>
/// The retention table and its daily run (issue 9, Art. 7 p.9, Art. 18): each category destroyed at its boundary and
/// not before, blocked and held customers untouched by every category, each destruction audited with one summary per
/// run, the counts emailed to the Privacy Officer, a run killed midway leaving nothing half-destroyed and finished by
/// the next, a changed period applied at the next run, and the table shown to the Privacy Officer only.
/// </summary>
public sealed class RetentionRunTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private static Task<Derbes.Web.Customers.Account> AccountAsync(DerbesApp app, Guid id) =>
        app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.Id == id));

    [Fact]
    public async Task AnUnconfirmedAccountIsDestroyedSevenDaysAfterRegistrationToAStubAndOneConfirmedOnDaySixIsKept()
    {
        // The confirmation link lives a week here, so the first email still confirms on day 6.
        using var app = new DerbesApp(RetentionSeed.Quiet(new() { ["Accounts:EmailConfirmationLifetime"] = "7.00:00:00" }));
        await RetentionSeed.StartedAsync(app);
        using var browser = app.NewBrowser();
        var never = Journeys.Someone();
        Assert.EndsWith("/account/register/done", (await Journeys.RegisterAsync(browser, never)).Url.AbsolutePath, StringComparison.Ordinal);
        var neverId = await app.AccountIdAsync(never.Email);
        var files = await app.WithDbAsync(db => db.Documents.Where(d => d.AccountId == neverId).Select(d => d.StorageName).ToListAsync());
        Assert.Single(files);
        using var lateBrowser = app.NewBrowser();
        var late = Journeys.Someone();
        var done = await Journeys.RegisterAsync(lateBrowser, late);
        // What the customer is told on registering: the period, as configured.
        Assert.Contains(app.Text("Retention.RegisterDone.Unconfirmed", 7), done.Text, StringComparison.Ordinal);
        var lateId = await app.AccountIdAsync(late.Email);

        // Day 6: the second one confirms.
        app.Clock.Advance(6 * Day);
        await Journeys.ConfirmEmailAsync(app, lateBrowser, late);
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, lateId)).Status);

        // 6 days 23 hours: nothing goes.
        app.Clock.Advance(TimeSpan.FromHours(23));
        var early = await RetentionSeed.RunAsync(app);
        Assert.NotNull(early);
        Assert.Equal(0, (await RetentionSeed.CountsAsync(app, early.Id))[RetentionCategory.UnconfirmedAccounts].Destroyed);
        var kept = await AccountAsync(app, neverId);
        Assert.Equal(AccountStatus.Unconfirmed, kept.Status);
        Assert.NotEmpty(kept.SealedEmail);
        Assert.NotNull(await app.Service<IDocumentStore>().GetAsync(files[0], CancellationToken.None));

        // 7 days: the one never confirmed is destroyed, down to the stub; the one who confirmed stays.
        app.Clock.Advance(TimeSpan.FromHours(1));
        var run = await RetentionSeed.RunAsync(app);
        Assert.NotNull(run);
        Assert.Equal(1, (await RetentionSeed.CountsAsync(app, run.Id))[RetentionCategory.UnconfirmedAccounts].Destroyed);
        var stub = await AccountAsync(app, neverId);
        Assert.Equal(AccountStatus.Destroyed, stub.Status);
        Assert.Empty(stub.SealedFirstName);
        Assert.Empty(stub.SealedEmail);
        Assert.Null(stub.SealedPhone);
        Assert.Null(stub.UserName);
        Assert.Null(stub.ConfirmedAt);
        Assert.Equal(never.Language, stub.PreferredLanguage);
        Assert.Null((await app.WithDbAsync(db => db.DataKeys.AsNoTracking().SingleAsync(k => k.AccountId == neverId))).WrappedKey);
        Assert.Equal(0, await app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == neverId)));
        Assert.Null(await app.Service<IDocumentStore>().GetAsync(files[0], CancellationToken.None));
        Assert.Equal(0, await app.WithDbAsync(db => db.AccountTokens.CountAsync(t => t.AccountId == neverId)));
        // The consent given at registration stays in the chained ledger, pointing at the stub.
        Assert.True(await app.WithDbAsync(db => db.ConsentRecords.AnyAsync(c => c.AccountId == neverId)));
        var entry = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "customer.destroyed" && e.Subject == neverId.ToString()));
        Assert.StartsWith("unconfirmed ", entry.Outcome, StringComparison.Ordinal);
        Assert.Equal("system", entry.Actor);
        var summary = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "retention.run"));
        Assert.Equal($"retention-run:{run.Id}", summary.Subject);
        Assert.Equal("destroyed:1 kept:0", summary.Outcome);
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, lateId)).Status);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(lateBrowser, late.Email, late.Password)).Url.AbsolutePath);

        // The email leads nowhere now, and can be registered again.
        using var again = app.NewBrowser();
        Assert.EndsWith("/account/register/done", (await Journeys.RegisterAsync(again, never)).Url.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectedScansGoThirtyDaysAfterRejectionWithTheReasonKeptAndVerifiedOnesOnTheirOwnPeriod()
    {
        using var app = new DerbesApp(RetentionSeed.Quiet());
        await RetentionSeed.StartedAsync(app);
        var rejected = await RetentionSeed.AddAsync(app, 60 * Day, document: DocumentStatus.Rejected, reviewedAgo: 30 * Day - TimeSpan.FromHours(1));
        var verified = await RetentionSeed.AddAsync(app, 60 * Day, document: DocumentStatus.Verified, reviewedAgo: 30 * Day - TimeSpan.FromHours(1));

        var early = await RetentionSeed.RunAsync(app);
        Assert.NotNull(early);
        Assert.NotNull(await app.Service<IDocumentStore>().GetAsync(rejected.StorageName, CancellationToken.None));
        Assert.Null((await app.WithDbAsync(db => db.Documents.AsNoTracking().SingleAsync(d => d.Id == rejected.DocumentId))).PurgedAt);

        app.Clock.Advance(TimeSpan.FromHours(1));
        var run = await RetentionSeed.RunAsync(app);
        Assert.NotNull(run);
        var counts = await RetentionSeed.CountsAsync(app, run.Id);
        Assert.Equal(1, counts[RetentionCategory.RejectedDocuments].Destroyed);
        Assert.Equal(1, counts[RetentionCategory.VerifiedDocuments].Destroyed);
        Assert.Null(await app.Service<IDocumentStore>().GetAsync(rejected.StorageName, CancellationToken.None));
        Assert.Null(await app.Service<IDocumentStore>().GetAsync(verified.StorageName, CancellationToken.None));
        Assert.Equal(0, await app.WithDbAsync(db => db.StoreDeletions.CountAsync()));
        var row = await app.WithDbAsync(db => db.Documents.AsNoTracking().SingleAsync(d => d.Id == rejected.DocumentId));
        Assert.Equal((DocumentStatus.Rejected, RejectionReason.Unreadable), (row.Status, row.Rejection));
        Assert.NotNull(row.PurgedAt);
        Assert.Empty(row.SealedOriginalName);
        Assert.Null(row.SealedNote);
        Assert.Equal($"rejected document:{rejected.DocumentId.ToString("N")[..12]}",
            (await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "document.purged" && e.Subject == rejected.Id.ToString()))).Outcome);
        // Their accounts are untouched: only the files had a period.
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, rejected.Id)).Status);
    }

    [Fact]
    public async Task SignInHistoryOlderThanAYearIsGoneAndNewerIsKept()
    {
        using var app = new DerbesApp(RetentionSeed.Quiet());
        await RetentionSeed.StartedAsync(app);
        var old = await RetentionSeed.AddAsync(app, 800 * Day, sessionAgo: 365 * Day);
        var recent = await RetentionSeed.AddAsync(app, 800 * Day, sessionAgo: 365 * Day - TimeSpan.FromHours(1));
        // An open session last used 400 days ago is history too; one of the same customer used yesterday is not.
        var openOld = Guid.NewGuid();
        var openNew = Guid.NewGuid();
        await app.WithDbAsync(db =>
        {
            var now = app.Clock.GetUtcNow();
            db.Sessions.Add(new UserSession { Id = openOld, AccountId = recent.Id, CreatedAt = now - 401 * Day, LastSeenAt = now - 400 * Day, UserAgent = "a", Ip = "198.51.100.1" });
            db.Sessions.Add(new UserSession { Id = openNew, AccountId = recent.Id, CreatedAt = now - 2 * Day, LastSeenAt = now - Day, UserAgent = "b", Ip = "198.51.100.2" });
            return db.SaveChangesAsync();
        });

        var run = await RetentionSeed.RunAsync(app);
        Assert.NotNull(run);
        Assert.Equal(2, (await RetentionSeed.CountsAsync(app, run.Id))[RetentionCategory.SignInHistory].Destroyed);
        var left = await app.WithDbAsync(db => db.Sessions.AsNoTracking().Select(s => s.Id).ToListAsync());
        Assert.DoesNotContain(old.SessionId, left);
        Assert.DoesNotContain(openOld, left);
        Assert.Contains(recent.SessionId, left);
        Assert.Contains(openNew, left);
        Assert.Equal(0, await app.WithDbAsync(db => db.AppTokens.CountAsync(t => t.SessionId == old.SessionId)));
        Assert.Equal(1, await app.WithDbAsync(db => db.AppTokens.CountAsync(t => t.SessionId == recent.SessionId)));
        Assert.Equal("sessions:1", (await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "signins.purged" && e.Subject == old.Id.ToString()))).Outcome);
        Assert.Equal("sessions:1", (await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "signins.purged" && e.Subject == recent.Id.ToString()))).Outcome);
        // Nothing else of theirs went.
        Assert.Equal(AccountStatus.Active, (await AccountAsync(app, old.Id)).Status);
        Assert.Equal(1, await app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == old.Id)));
    }

    [Fact]
    public async Task BlockedAndHeldCustomersAreUntouchedByEveryCategoryAndThePrivacyOfficerIsToldTheCounts()
    {
        using var app = new DerbesApp(RetentionSeed.Quiet());
        await RetentionSeed.StartedAsync(app);
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        var support = await StaffJourneys.CreateAsync(app, StaffRoles.Support);
        const string hold = "Сот ісі №2-145/2026";
        // Each past every period: unconfirmed for 10 days, a verified and a rejected file 40 days old, sessions 400 days old.
        var plainUnconfirmed = await RetentionSeed.AddAsync(app, 10 * Day, confirmed: false);
        var blockedUnconfirmed = await RetentionSeed.AddAsync(app, 10 * Day, confirmed: false, status: AccountStatus.Blocked);
        var heldUnconfirmed = await RetentionSeed.AddAsync(app, 10 * Day, confirmed: false, hold: hold);
        var plainVerified = await RetentionSeed.AddAsync(app, 500 * Day, document: DocumentStatus.Verified, reviewedAgo: 40 * Day, sessionAgo: 400 * Day);
        var blockedVerified = await RetentionSeed.AddAsync(app, 500 * Day, status: AccountStatus.Blocked, document: DocumentStatus.Verified, reviewedAgo: 40 * Day, sessionAgo: 400 * Day);
        var heldRejected = await RetentionSeed.AddAsync(app, 500 * Day, hold: hold, document: DocumentStatus.Rejected, reviewedAgo: 40 * Day, sessionAgo: 400 * Day);
        var blockedRejected = await RetentionSeed.AddAsync(app, 500 * Day, status: AccountStatus.Blocked, document: DocumentStatus.Rejected, reviewedAgo: 40 * Day, sessionAgo: 400 * Day);
        // Closed 20 days ago, past the 14 days' grace: one plain, one under a hold (it is blocked instead).
        var plainClosed = await RetentionSeed.AddAsync(app, 500 * Day, status: AccountStatus.Closing);
        var heldClosed = await RetentionSeed.AddAsync(app, 500 * Day, status: AccountStatus.Closing, hold: hold);
        await app.WithDbAsync(db => db.Users.Where(a => a.Id == plainClosed.Id || a.Id == heldClosed.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.ClosingSince, app.Clock.GetUtcNow() - 20 * Day)));
        var untouched = new[] { blockedUnconfirmed, heldUnconfirmed, blockedVerified, heldRejected, blockedRejected };
        var before = new Dictionary<Guid, (AccountStatus, DateTimeOffset?, int)>();
        foreach (var c in untouched)
        {
            var a = await AccountAsync(app, c.Id);
            before[c.Id] = (a.Status, await app.WithDbAsync(db => db.Documents.Where(d => d.Id == c.DocumentId).Select(d => d.PurgedAt).SingleAsync()), await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == c.Id)));
        }

        var run = await RetentionSeed.RunAsync(app);
        Assert.NotNull(run);

        foreach (var c in untouched)
        {
            var a = await AccountAsync(app, c.Id);
            Assert.NotEmpty(a.SealedEmail);
            Assert.Equal(before[c.Id], (a.Status, await app.WithDbAsync(db => db.Documents.Where(d => d.Id == c.DocumentId).Select(d => d.PurgedAt).SingleAsync()), await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == c.Id))));
            Assert.NotNull(await app.Service<IDocumentStore>().GetAsync(c.StorageName, CancellationToken.None));
            Assert.NotNull((await app.WithDbAsync(db => db.DataKeys.AsNoTracking().SingleAsync(k => k.AccountId == c.Id))).WrappedKey);
            Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == c.Id.ToString() && e.Actor == "system")));
        }
        // The plain ones went; the held closure is blocked, with its data.
        Assert.Equal(AccountStatus.Destroyed, (await AccountAsync(app, plainUnconfirmed.Id)).Status);
        Assert.Equal(AccountStatus.Destroyed, (await AccountAsync(app, plainClosed.Id)).Status);
        Assert.NotNull((await app.WithDbAsync(db => db.Documents.AsNoTracking().SingleAsync(d => d.Id == plainVerified.DocumentId))).PurgedAt);
        Assert.Equal(0, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == plainVerified.Id)));
        var heldClosedNow = await AccountAsync(app, heldClosed.Id);
        Assert.Equal(AccountStatus.Blocked, heldClosedNow.Status);
        Assert.NotEmpty(heldClosedNow.SealedEmail);

        var counts = await RetentionSeed.CountsAsync(app, run.Id);
        Assert.Equal((1, 2), (counts[RetentionCategory.UnconfirmedAccounts].Destroyed, counts[RetentionCategory.UnconfirmedAccounts].Held));
        Assert.Equal((1, 1), (counts[RetentionCategory.VerifiedDocuments].Destroyed, counts[RetentionCategory.VerifiedDocuments].Held));
        Assert.Equal((0, 2), (counts[RetentionCategory.RejectedDocuments].Destroyed, counts[RetentionCategory.RejectedDocuments].Held));
        Assert.Equal((1, 1), (counts[RetentionCategory.ClosedAccounts].Destroyed, counts[RetentionCategory.ClosedAccounts].Held));
        // Sign-in history: the plain verified customer's session went; three kept (blocked, held, blocked).
        Assert.Equal((1, 3), (counts[RetentionCategory.SignInHistory].Destroyed, counts[RetentionCategory.SignInHistory].Held));
        Assert.Equal((0, 0), (counts[RetentionCategory.AuditTrail].Destroyed, counts[RetentionCategory.AuditTrail].Held));
        var summary = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "retention.run"));
        Assert.Equal(($"retention-run:{run.Id}", "destroyed:4 kept:9", "system"), (summary.Subject, summary.Outcome, summary.Actor));

        // The Privacy Officer's email: the totals and each category, counts only; Support gets nothing.
        var mail = await app.Mail.WaitForAsync(officer.Email, app.Text("Retention.Email.Subject", "SMALL",
            run.FinishedAt!.Value.ToOffset(TimeSpan.FromHours(5)).ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), 4, 9));
        Assert.Contains(app.Text("Retention.Email.Line", app.Text("Retention.Category.SignInHistory"), 1, 3), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(app.Text("Retention.Email.Line", app.Text("Retention.Category.RejectedDocuments"), 0, 2), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(app.Text("Retention.Email.Line", app.Text("Retention.Category.UnconfirmedAccounts"), 1, 2), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("/admin/retention", mail.TextBody, StringComparison.Ordinal);
        foreach (var c in untouched.Append(plainUnconfirmed))
        {
            Assert.DoesNotContain(c.Email, mail.TextBody, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(c.Id.ToString(), mail.TextBody, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Empty(app.Mail.All(support.Email));

        // A second run finds nothing more to destroy; what is kept stays kept.
        var second = await RetentionSeed.RunAsync(app);
        Assert.NotNull(second);
        Assert.Equal(0, (await RetentionSeed.CountsAsync(app, second.Id)).Values.Sum(c => c.Destroyed));
        Assert.Equal(AccountStatus.Blocked, (await AccountAsync(app, blockedUnconfirmed.Id)).Status);
    }

    [Fact]
    public async Task ARunKilledMidwayLeavesEveryCustomerWholeOrDestroyedAndTheNextRunFinishesTheRest()
    {
        using var app = new DerbesApp(RetentionSeed.Quiet());
        await RetentionSeed.StartedAsync(app);
        var customers = new List<RetainedCustomer>();
        for (var i = 0; i < 6; i++)
        {
            customers.Add(await RetentionSeed.AddAsync(app, 8 * Day, confirmed: false));
        }

        // Killed after the second customer: the third sees a cancelled run at its first step.
        using var kill = new CancellationTokenSource();
        var destroyedSoFar = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RetentionSeed.RunAsync(app, category =>
        {
            if (++destroyedSoFar == 2)
            {
                kill.Cancel();
            }
        }, kill.Token));
        foreach (var c in customers)
        {
            Assert.True(await RetentionSeed.WholeOrDestroyedAsync(app, c), $"customer {c.Id} is half destroyed");
        }
        var statuses = new List<AccountStatus>();
        foreach (var c in customers)
        {
            statuses.Add((await AccountAsync(app, c.Id)).Status);
        }
        Assert.Equal(2, statuses.Count(s => s == AccountStatus.Destroyed));
        Assert.Equal(4, statuses.Count(s => s == AccountStatus.Unconfirmed));
        var open = await app.WithDbAsync(db => db.RetentionRuns.AsNoTracking().SingleAsync(r => r.FinishedAt == null));

        // While its claim holds, no second run starts (another instance would be this one, still at work).
        Assert.Null(await RetentionSeed.RunAsync(app));
        // The page tells the Privacy Officer a run is open.
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, officer);
        Assert.NotNull((await browser.GetAsync("/admin/retention")).Document.GetElementById("open-run"));

        // Once the claim has lapsed, the next run takes it over and finishes the rest, once each.
        app.Clock.Advance(RetentionRun.ClaimLease + TimeSpan.FromSeconds(1));
        var finished = await RetentionSeed.RunAsync(app);
        Assert.NotNull(finished);
        Assert.Equal(open.Id, finished.Id);
        foreach (var c in customers)
        {
            Assert.Equal(AccountStatus.Destroyed, (await AccountAsync(app, c.Id)).Status);
            Assert.True(await RetentionSeed.WholeOrDestroyedAsync(app, c));
            Assert.Null(await app.Service<IDocumentStore>().GetAsync(c.StorageName, CancellationToken.None));
            Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "customer.destroyed" && e.Subject == c.Id.ToString())));
        }
        Assert.Equal(0, await app.WithDbAsync(db => db.StoreDeletions.CountAsync()));
        // The run's count covers both parts.
        Assert.Equal(6, (await RetentionSeed.CountsAsync(app, finished.Id))[RetentionCategory.UnconfirmedAccounts].Destroyed);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "retention.run")));
        await app.Mail.WaitForAsync(officer.Email, app.Text("Retention.Email.Subject", "SMALL",
            finished.FinishedAt!.Value.ToOffset(TimeSpan.FromHours(5)).ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), 6, 0));
    }

    [Fact]
    public async Task APeriodChangedAtTheSettingsPageAppliesAtTheNextRunAndIsWhatCustomersAreTold()
    {
        using var app = new DerbesApp(RetentionSeed.Quiet());
        await RetentionSeed.StartedAsync(app);
        var customer = await RetentionSeed.AddAsync(app, 4 * Day, confirmed: false);
        var run = await RetentionSeed.RunAsync(app);
        Assert.NotNull(run);
        Assert.Equal(AccountStatus.Unconfirmed, (await AccountAsync(app, customer.Id)).Status);

        var admin = await StaffJourneys.CreateAsync(app, StaffRoles.Administrator);
        using var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, admin);
        var saved = await SettingsTests.SaveAsync(browser, new Dictionary<string, string>
        {
            ["Input.UnconfirmedAccountsDays"] = "3",
            ["Input.RejectedRetentionDays"] = "45",
            ["Input.SignInHistoryDays"] = "400",
        });
        Assert.Contains(app.Text("Settings.Saved"), saved.Text, StringComparison.Ordinal);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "setting.changed" && e.Subject == "Retention:UnconfirmedAccounts" && e.Outcome == "3.00:00:00")));

        run = await RetentionSeed.RunAsync(app);
        Assert.NotNull(run);
        Assert.Equal(AccountStatus.Destroyed, (await AccountAsync(app, customer.Id)).Status);

        // The table shows the new periods; customers are told them.
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var officerBrowser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, officerBrowser, officer);
        var table = await officerBrowser.GetAsync("/admin/retention");
        Assert.Contains(app.Text("Retention.Days", 3), table.Document.QuerySelector("#category-UnconfirmedAccounts .period")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(app.Text("Retention.Days", 45), table.Document.QuerySelector("#category-RejectedDocuments .period")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(app.Text("Retention.Days", 400), table.Document.QuerySelector("#category-SignInHistory .period")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("1", table.Document.QuerySelector("#category-UnconfirmedAccounts .destroyed")!.TextContent.Trim());
        using var customerBrowser = app.NewBrowser();
        var someone = await Journeys.RegisteredAndConfirmedAsync(app, customerBrowser);
        await Journeys.SignInAsync(customerBrowser, someone.Email, someone.Password);
        var myData = await customerBrowser.GetAsync("/cabinet/my-data");
        Assert.Contains(app.Text("Retention.MyData.PeriodRejected", 45), myData.Text, StringComparison.Ordinal);
        Assert.Contains(app.Text("MyData.PeriodSignIns", 400), myData.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRetentionTableIsThePrivacyOfficersAndShowsEveryCategoryWithWhatIsDueNow()
    {
        using var app = new DerbesApp(RetentionSeed.Quiet());
        await RetentionSeed.StartedAsync(app);
        await RetentionSeed.AddAsync(app, 10 * Day, confirmed: false);
        await RetentionSeed.AddAsync(app, 10 * Day, confirmed: false, status: AccountStatus.Blocked);

        using (var anonymous = app.NewBrowser())
        {
            var page = await anonymous.Client.GetAsync("/admin/retention");
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        }
        foreach (var role in new[] { StaffRoles.Support, StaffRoles.Marketing, StaffRoles.Administrator })
        {
            var member = await StaffJourneys.CreateAsync(app, role);
            using var browser = app.NewBrowser();
            await StaffJourneys.SignInAsync(app, browser, member);
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.Client.GetAsync("/admin/retention")).StatusCode);
            Assert.DoesNotContain("/admin/retention", (await browser.GetAsync("/admin")).Body, StringComparison.Ordinal);
        }
        using var customerBrowser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, customerBrowser);
        await Journeys.SignInAsync(customerBrowser, customer.Email, customer.Password);
        Assert.NotEqual(HttpStatusCode.OK, (await customerBrowser.Client.GetAsync("/admin/retention")).StatusCode);

        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var officerBrowser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, officerBrowser, officer);
        Assert.Contains("/admin/retention", (await officerBrowser.GetAsync("/admin")).Body, StringComparison.Ordinal);
        var table = await officerBrowser.GetAsync("/admin/retention");
        Assert.Equal(HttpStatusCode.OK, table.Status);
        foreach (var category in RetentionTable.Categories)
        {
            var row = table.Document.GetElementById("category-" + category);
            Assert.NotNull(row);
            Assert.Contains(app.Text("Retention.Category." + category), row.TextContent, StringComparison.Ordinal);
            Assert.Contains(app.Text("Retention.Why." + category), row.TextContent, StringComparison.Ordinal);
        }
        Assert.Contains(app.Text("Retention.Days", 7), table.Document.QuerySelector("#category-UnconfirmedAccounts .period")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(app.Text("Retention.Days", 365), table.Document.QuerySelector("#category-SignInHistory .period")!.TextContent, StringComparison.Ordinal);
        Assert.Contains(app.Text("Retention.Days", 1095), table.Document.QuerySelector("#category-AuditTrail .period")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("1", table.Document.QuerySelector("#category-UnconfirmedAccounts .due")!.TextContent.Trim());
        Assert.Equal("1", table.Document.QuerySelector("#category-UnconfirmedAccounts .kept")!.TextContent.Trim());
        // Counts only: no customer's data on the page.
        Assert.DoesNotContain("retained.", table.Body, StringComparison.Ordinal);
    }
}

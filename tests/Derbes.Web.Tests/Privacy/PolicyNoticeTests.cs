using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Consents;
using Derbes.Web.Messaging;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Privacy;

/// <summary>
/// A new edition reaches every customer (issue 5): one notice each, exactly once (also from two instances), in
/// their language and paced; and before the cabinet, an acknowledgement, or a new agreement when the edition
/// changed purposes or recipients. Every answer is a ledger record.
/// </summary>
public sealed class PolicyNoticeTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["PolicyNotices:BatchSize"] = "7",
        ["PolicyNotices:PerMinute"] = "600",
        // The job runs when the test says so (its first run is at start, before anything is published).
        ["PolicyNotices:Interval"] = "1.00:00:00",
    };

    /// <summary>Publishes the next edition as the publisher leaves it (kk authoritative, ru and en translations).</summary>
    internal static async Task<int> PublishAsync(DerbesApp app, bool requiresReconsent)
    {
        return await app.WithDbAsync(async db =>
        {
            var number = await db.PolicyEditions.MaxAsync(e => e.Number) + 1;
            var edition = new PolicyEdition { Number = number, PublishedAt = app.Clock.GetUtcNow(), RequiresReconsent = requiresReconsent };
            foreach (var (language, summary) in new[] { ("kk", "Жаңа серіктес қосылды"), ("ru", "Добавлен новый партнёр"), ("en", "A new partner was added") })
            {
                var body = $"# {number}\n\n{summary}.";
                edition.Texts.Add(new PolicyText
                {
                    Language = language,
                    IsTranslation = language != "kk",
                    Format = PolicyTextFormat.Markdown,
                    Title = $"Policy {number}",
                    Summary = summary,
                    Body = body,
                    Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))),
                });
            }
            db.PolicyEditions.Add(edition);
            await db.SaveChangesAsync();
            return number;
        });
    }

    [Fact]
    public async Task EveryActiveCustomerIsToldOnceInTheirLanguageAtAPaceEvenWhenTwoRunsRaceAndNobodyElse()
    {
        using var app = new DerbesApp(Settings);
        using var browser = app.NewBrowser();
        var russian = await Journeys.RegisteredAndConfirmedAsync(app, browser, Journeys.Someone("ru"));
        var seeded = await CustomerSeed.AddAsync(app, 30, _ => false);
        var blocked = seeded[3];
        await app.WithDbAsync(db => db.Users.Where(a => a.Id == blocked.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Derbes.Web.Customers.AccountStatus.Blocked)));

        var number = await PublishAsync(app, requiresReconsent: false);
        var notices = app.Service<PolicyNotices>();
        var runs = await Task.WhenAll(Task.Run(() => notices.QueueAllAsync(CancellationToken.None)), Task.Run(() => notices.QueueAllAsync(CancellationToken.None)));
        Assert.Equal(30, runs.Sum());
        Assert.Equal(0, await notices.QueueAllAsync(CancellationToken.None));

        var queued = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.Kind == DeferredMessages.PolicyNotice && m.Reference == "edition:" + number).ToListAsync());
        Assert.Equal(30, queued.Count);
        Assert.Equal(30, queued.Select(m => m.AccountId).Distinct().Count());
        Assert.DoesNotContain(queued, m => m.AccountId == blocked.Id);
        Assert.All(queued, m => Assert.Null(m.SealedPayload));
        // Paced: 600 a minute, so the last leaves about 2.9 s after the first.
        var spread = queued.Max(m => m.AvailableAt) - queued.Min(m => m.AvailableAt);
        Assert.Equal(TimeSpan.FromMilliseconds(100 * 29), spread);
        var run = await app.WithDbAsync(db => db.PolicyNoticeRuns.AsNoTracking().SingleAsync(r => r.EditionNumber == number));
        Assert.Equal(30, run.Queued);
        Assert.NotNull(run.CompletedAt);

        // Blocked after queueing, before its turn: at sending time nothing is sent, and the row says why.
        var russianId = await IdAsync(app, russian.Email);
        var late = queued.Where(m => m.AccountId != russianId).MaxBy(m => m.AvailableAt)!.AccountId;
        await app.WithDbAsync(db => db.Users.Where(a => a.Id == late).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Derbes.Web.Customers.AccountStatus.Blocked)));

        // Written when sent: the Russian customer's notice is in Russian, with the summary and the link to the changes.
        app.Clock.Advance(TimeSpan.FromSeconds(5));
        var mail = await app.Mail.WaitForAsync(russian.Email, app.TextIn("ru", "Email.PolicyNotice.Subject", "SMALL"), TimeSpan.FromSeconds(30));
        Assert.Contains("Добавлен новый партнёр", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains($"{DerbesApp.PublicUrl}/privacy/editions/{number}/changes", mail.TextBody, StringComparison.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await app.WithDbAsync(db => db.Outbox.CountAsync(m => m.Kind == DeferredMessages.PolicyNotice && m.SentAt == null)) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        var lateRow = await app.WithDbAsync(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Kind == DeferredMessages.PolicyNotice && m.AccountId == late));
        Assert.StartsWith("not sent", lateRow.LastError, StringComparison.Ordinal);
        Assert.NotNull(lateRow.SentAt);
        var lateEmail = seeded.Single(c => c.Id == late).Email;
        Assert.DoesNotContain(app.Mail.All(lateEmail), m => m.Subject == app.TextIn("kk", "Email.PolicyNotice.Subject", "SMALL") || m.Subject == app.TextIn("ru", "Email.PolicyNotice.Subject", "SMALL"));
        Assert.NotNull(await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.AccountId == russianId && m.Kind == DeferredMessages.PolicyNotice).Select(m => m.SentAt).SingleAsync()));
    }

    [Fact]
    public async Task ANewEditionIsAcknowledgedBeforeTheCabinetAndTheAcknowledgementIsALedgerRecord()
    {
        using var app = new DerbesApp(Settings);
        using var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        var number = await PublishAsync(app, requiresReconsent: false);

        var notice = await browser.GetAsync("/cabinet");
        Assert.Equal("/cabinet/policy-update", notice.Url.AbsolutePath);
        Assert.Contains("Жаңа серіктес қосылды", notice.Text, StringComparison.Ordinal);
        Assert.NotNull(notice.Document.QuerySelector($"a[href='/privacy/editions/{number}/changes']"));
        Assert.Equal("/cabinet/policy-update", (await browser.GetAsync("/cabinet/consents")).Url.AbsolutePath);
        Assert.Null(notice.Document.QuerySelector("input#Agree"));

        var cabinet = await browser.SubmitAsync(notice, formSelector: "main form[action*='handler=acknowledge']");
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        var index = app.Service<BlindIndex>().Email(customer.Email);
        var id = await app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        var record = await app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal(ConsentAction.Acknowledge, record.Action);
        Assert.Equal(ConsentPurpose.Processing, record.Purpose);
        Assert.Equal(number, record.EditionNumber);
        Assert.True(record.Granted);
        Assert.Equal("/cabinet", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);
        // Settled: every cabinet page is open again.
        Assert.Equal("/cabinet/consents", (await browser.GetAsync("/cabinet/consents")).Url.AbsolutePath);
    }

    [Fact]
    public async Task AnEditionThatChangesPurposesNeedsANewAgreementAndRefusingItClosesTheAccount()
    {
        using var app = new DerbesApp(Settings);
        using var agreeing = app.NewBrowser();
        using var refusing = app.NewBrowser();
        var a = await Journeys.RegisteredAndConfirmedAsync(app, agreeing);
        var b = await Journeys.RegisteredAndConfirmedAsync(app, refusing);
        await Journeys.SignInAsync(agreeing, a.Email, a.Password);
        await Journeys.SignInAsync(refusing, b.Email, b.Password);
        await PublishAsync(app, requiresReconsent: false);
        var number = await PublishAsync(app, requiresReconsent: true);

        var ask = await agreeing.GetAsync("/cabinet");
        Assert.Equal("/cabinet/policy-update", ask.Url.AbsolutePath);
        Assert.Contains(app.Text("PolicyUpdate.ReconsentLead"), ask.Text, StringComparison.Ordinal);
        Assert.Contains(app.Text("Register.ConsentProcessing", number), ask.Text, StringComparison.Ordinal);
        // An acknowledgement is not an agreement.
        Assert.Null(ask.Document.QuerySelector("main form[action*='handler=acknowledge']"));
        var unticked = await agreeing.SubmitAsync(ask, new Dictionary<string, string> { ["Agree"] = "false" }, formSelector: "main form[action*='handler=agree']");
        Assert.Equal(app.Text("PolicyUpdate.AgreeRequired"), unticked.ErrorText("agree-error"));
        var agreed = await agreeing.SubmitAsync(unticked, new Dictionary<string, string> { ["Agree"] = "true" }, formSelector: "main form[action*='handler=agree']");
        Assert.Equal("/cabinet", agreed.Url.AbsolutePath);
        var aId = await IdAsync(app, a.Email);
        var reconsent = await app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == aId).OrderBy(c => c.Id).LastAsync());
        Assert.Equal(ConsentAction.Reconsent, reconsent.Action);
        Assert.Equal(number, reconsent.EditionNumber);
        Assert.Equal(app.Text("Register.ConsentProcessing", number), await app.WithDbAsync(db => db.ConsentTexts.Where(t => t.Sha256 == reconsent.TextSha256).Select(t => t.Text).SingleAsync()));

        var declined = await refusing.SubmitAsync(await refusing.GetAsync("/cabinet"), formSelector: "main form[action*='handler=decline']");
        Assert.Equal("/account/closed", declined.Url.AbsolutePath);
        var bId = await IdAsync(app, b.Email);
        var account = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(x => x.Id == bId));
        Assert.Equal(Derbes.Web.Customers.AccountStatus.Closing, account.Status);
        var withdrawal = await app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == bId).OrderBy(c => c.Id).LastAsync());
        Assert.Equal(ConsentAction.Withdraw, withdrawal.Action);
        Assert.Equal(ConsentPurpose.Processing, withdrawal.Purpose);
        Assert.Equal("/account/reopen", (await Journeys.SignInAsync(refusing, b.Email, b.Password)).Url.AbsolutePath);
    }

    [Fact]
    [Trait("Database", "Postgres")]
    public async Task TwoInstancesQueueEachCustomerOnceBetweenThem()
    {
        if (TestDatabase.PostgresServer is null)
        {
            throw new InvalidOperationException($"This test needs a PostgreSQL server: set {TestDatabase.Variable} (./test.sh starts one and does).");
        }
        var settings = new Dictionary<string, string?>(Settings) { ["Outbox:Enabled"] = "false" };
        using var a = new DerbesApp(settings);
        a.NewBrowser().Dispose();
        using var b = new DerbesApp(settings, shareWith: a);
        b.NewBrowser().Dispose();
        await CustomerSeed.AddAsync(a, 50, _ => false);
        var number = await PublishAsync(a, requiresReconsent: false);

        var runs = await Task.WhenAll(
            Task.Run(() => a.Service<PolicyNotices>().QueueAllAsync(CancellationToken.None)),
            Task.Run(() => b.Service<PolicyNotices>().QueueAllAsync(CancellationToken.None)),
            Task.Run(() => a.Service<PolicyNotices>().QueueAllAsync(CancellationToken.None)));
        // Each instance's own scheduled run (at its start) may take part too, on a slow machine: what counts is the outbox.
        Assert.InRange(runs.Sum(), 0, 50);
        var queued = await a.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.Reference == "edition:" + number).Select(m => m.AccountId).ToListAsync());
        Assert.Equal(50, queued.Count);
        Assert.Equal(50, queued.Distinct().Count());
    }

    private static Task<Guid> IdAsync(DerbesApp app, string email)
    {
        var index = app.Service<BlindIndex>().Email(email);
        return app.WithDbAsync(db => db.Users.Where(x => x.EmailIndex == index).Select(x => x.Id).SingleAsync());
    }
}

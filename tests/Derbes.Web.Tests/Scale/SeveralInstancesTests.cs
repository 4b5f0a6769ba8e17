using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Derbes.Web.Tests.Scale;

/// <summary>
/// Two instances of the app on one PostgreSQL database (and one shared data folder, standing in for the shared
/// key file and document store) behave as one site: whichever instance a load balancer picks, the outcome is
/// the same. Runs in ./test.sh's PostgreSQL pass.
/// </summary>
[Trait("Database", "Postgres")]
public sealed partial class SeveralInstancesTests : IDisposable
{
    private const string WrongPassword = "мүлдем басқа құпия сөз 42";

    private readonly DerbesApp _a;
    private readonly DerbesApp _b;

    public SeveralInstancesTests()
    {
        if (TestDatabase.PostgresServer is null)
        {
            throw new InvalidOperationException($"These tests need a PostgreSQL server: set {TestDatabase.Variable} (./test.sh starts one and does).");
        }
        _a = new DerbesApp(Settings);
        _a.NewBrowser().Dispose(); // A starts first: migrates and seeds.
        _b = new DerbesApp(Settings, shareWith: _a);
    }

    private static Dictionary<string, string?> Settings => new() { ["Outbox:Enabled"] = "false" };

    public void Dispose()
    {
        _b.Dispose();
        _a.Dispose();
    }

    [Fact]
    public async Task RegisteredOnAConfirmedAndSignedInOnBAndTheCookieOfAWorksOnB()
    {
        var cookies = new CookieContainer();
        using var onA = _a.NewBrowser(cookies);
        using var onB = _b.NewBrowser(cookies);
        var customer = Journeys.Someone();

        await Journeys.RegisterAsync(onA, customer);
        await DeliverAsync(_a);
        // The link from the email, opened on B: the antiforgery cookie A set is valid on B too.
        var confirmed = await Journeys.ConfirmEmailAsync(_b, onB, customer);
        Assert.Equal(HttpStatusCode.OK, confirmed.Status);
        var signedInOnB = await Journeys.SignInAsync(onB, customer.Email, customer.Password);
        Assert.Equal("/cabinet", signedInOnB.Url.AbsolutePath);

        // A fresh sign-in on A; its cookie opens the cabinet on B.
        await onA.SubmitAsync(await onA.GetAsync("/cabinet"), formSelector: "main form[action='/account/logout']");
        Assert.Equal("/account/login", (await onB.GetAsync("/cabinet")).Url.AbsolutePath);
        var signedInOnA = await Journeys.SignInAsync(onA, customer.Email, customer.Password);
        Assert.Equal("/cabinet", signedInOnA.Url.AbsolutePath);
        var cabinetOnB = await onB.GetAsync("/cabinet");
        Assert.Equal(HttpStatusCode.OK, cabinetOnB.Status);
        Assert.Equal("/cabinet", cabinetOnB.Url.AbsolutePath);
        Assert.Contains(customer.FirstName, cabinetOnB.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailuresSpreadOverBothInstancesLockTheAccountAfterFiveInTotal()
    {
        var customer = await RegisteredOnAsync(_a);
        var cookies = new CookieContainer();
        using var onA = _a.NewBrowser(cookies);
        using var onB = _b.NewBrowser(cookies);

        for (var i = 1; i <= 4; i++)
        {
            await Journeys.SignInAsync(i % 2 == 0 ? onA : onB, customer.Email, WrongPassword);
            var counted = await AccountAsync(customer.Email);
            Assert.Equal(i, counted.AccessFailedCount);
            Assert.Null(counted.LockoutEnd);
        }
        await Journeys.SignInAsync(onB, customer.Email, WrongPassword);
        Assert.Equal(_a.Clock.GetUtcNow().AddMinutes(15), (await AccountAsync(customer.Email)).LockoutEnd);

        // Locked on both: the right password opens nothing on either instance.
        foreach (var browser in new[] { onA, onB })
        {
            var refused = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
            Assert.Equal("/account/login", refused.Url.AbsolutePath);
            Assert.Equal(_a.Text("Login.Failed"), AlertText(refused));
        }
    }

    [Fact]
    public async Task ThePerIpLimitIsCountedOnceForBothInstances()
    {
        var limited = new Dictionary<string, string?> { ["Outbox:Enabled"] = "false", ["RateLimits:AccountPostsPerWindow"] = "4" };
        using var a = new DerbesApp(limited);
        a.NewBrowser().Dispose();
        using var b = new DerbesApp(limited, shareWith: a);
        var cookies = new CookieContainer();
        using var onA = a.NewBrowser(cookies);
        using var onB = b.NewBrowser(cookies);
        var someone = Journeys.Someone();

        // Four POSTs in all, alternating: within the limit.
        for (var i = 0; i < 4; i++)
        {
            var allowed = await Journeys.SignInAsync(i % 2 == 0 ? onA : onB, someone.Email, WrongPassword);
            Assert.Equal(HttpStatusCode.OK, allowed.Status);
        }
        // The fifth is refused by either instance: neither kept its own allowance of four.
        foreach (var browser in new[] { onA, onB })
        {
            var refused = await Journeys.SignInAsync(browser, someone.Email, WrongPassword);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
            Assert.InRange(int.Parse(refused.Header("Retry-After")!, NumberStyles.None, CultureInfo.InvariantCulture), 1, 60);
        }
        // The window passes for both at once.
        a.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await Journeys.SignInAsync(onB, someone.Email, WrongPassword)).Status);

        // The table holds a keyed hash of the address, never the address.
        var keys = await a.WithDbAsync(db => db.RateCounters.Select(c => c.Key).ToListAsync());
        Assert.All(keys, k => Assert.Matches("^accounts:[0-9a-f]{64}$", k));
    }

    [Fact]
    public async Task AThousandMessagesDrainedByBothInstancesAtOnceAreEachDeliveredExactlyOnce()
    {
        var customer = await RegisteredOnAsync(_a);
        var owner = (await AccountAsync(customer.Email)).Id;
        var before = _a.Mail.Count;
        await using (var scope = _a.Services.CreateAsyncScope())
        {
            var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
            for (var i = 0; i < 1000; i++)
            {
                outbox.Email(owner, "bulk-test", new EmailContent($"bulk{i}@example.kz", $"Bulk {i}", $"Message {i}", $"<p>Message {i}</p>"));
            }
            await scope.ServiceProvider.GetRequiredService<Derbes.Web.Data.DerbesDb>().SaveChangesAsync();
        }

        // Four workers per instance, all draining at the same time.
        var workers = new[] { _a, _b }
            .SelectMany(app => Enumerable.Range(0, 4).Select(_ => app.Service<OutboxWorker>()))
            .Select(worker => Task.Run(async () =>
            {
                var handled = 0;
                int batch;
                while ((batch = await worker.DeliverDueAsync(CancellationToken.None)) > 0)
                {
                    handled += batch;
                }
                return handled;
            }))
            .ToArray();
        var handledPerWorker = await Task.WhenAll(workers);

        Assert.Equal(1000, handledPerWorker.Sum());
        Assert.True(handledPerWorker[..4].Sum() > 0 && handledPerWorker[4..].Sum() > 0, "both instances took part: " + string.Join(",", handledPerWorker));
        var delivered = Directory.GetFiles(Path.Combine(_a.DataDirectory, "mail"), "*.eml")
            .Select(f => MimeMessage.Load(f).To.Mailboxes.Single().Address)
            .Where(to => to.StartsWith("bulk", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(1000, delivered.Count);
        Assert.Equal(1000, delivered.Distinct().Count());
        Assert.Equal(before + 1000, _a.Mail.Count);
        Assert.Equal(0, await _a.WithDbAsync(db => db.Outbox.CountAsync(m => m.SentAt == null)));
    }

    [Fact]
    public async Task SigningOutEverywhereOnAEndsTheSessionOnBAtItsNextRequest()
    {
        var customer = await RegisteredOnAsync(_a);
        using var phoneOnB = _b.NewBrowser(new CookieContainer());
        using var laptopOnA = _a.NewBrowser(new CookieContainer());
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(phoneOnB, customer.Email, customer.Password)).Url.AbsolutePath);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(laptopOnA, customer.Email, customer.Password)).Url.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await phoneOnB.GetAsync("/cabinet")).Status);

        var cabinet = await laptopOnA.GetAsync("/cabinet");
        await laptopOnA.SubmitAsync(cabinet, formSelector: "main form[action='/account/logout?handler=everywhere']");

        Assert.Equal("/account/login", (await phoneOnB.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal("/account/login", (await laptopOnA.GetAsync("/cabinet")).Url.AbsolutePath);
        var account = await AccountAsync(customer.Email);
        Assert.Equal(0, await _b.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == account.Id && s.EndedAt == null)));
        Assert.Equal(1, await _b.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signout.everywhere" && e.Subject == account.Id.ToString())));
    }

    [Fact]
    public async Task TheAuditAndConsentChainsStayOneUnbrokenLineWhenBothInstancesWriteAtOnce()
    {
        // A time with sub-microsecond ticks, as a real clock gives: PostgreSQL keeps microseconds only.
        _a.Clock.Advance(TimeSpan.FromTicks(1_234_567));
        var registrations = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            using var browser = (i % 2 == 0 ? _a : _b).NewBrowser();
            var customer = Journeys.Someone();
            var registered = await Journeys.RegisterAsync(browser, customer);
            Assert.True(registered.Url.AbsolutePath == "/account/register/done", $"registration on {(i % 2 == 0 ? "A" : "B")}: {registered.Status} {registered.Url}");
            for (var k = 0; k < 3; k++)
            {
                await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
            }
        }));
        await Task.WhenAll(registrations);

        var audit = await _b.WithDbAsync(db => db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
        var consents = await _a.WithDbAsync(db => db.ConsentRecords.AsNoTracking().OrderBy(c => c.Id).ToListAsync());
        Assert.True(audit.Count >= 6 * 4, "audit entries: " + string.Join(", ", audit.GroupBy(e => e.Action).Select(g => g.Key + "×" + g.Count())));
        Assert.True(consents.Count >= 6 * 2, "consent records: " + consents.Count);
        Assert.Null(Derbes.Web.Data.HashChain.FirstBroken(audit, e => e.Id));
        Assert.Null(Derbes.Web.Data.HashChain.FirstBroken(consents, c => c.Id));
        Assert.Contains(audit, e => e.At.UtcTicks % TimeSpan.TicksPerSecond != 0);
    }

    /// <summary>Registers and confirms a customer through instance <paramref name="app"/>.</summary>
    private static async Task<NewCustomer> RegisteredOnAsync(DerbesApp app)
    {
        using var browser = app.NewBrowser();
        var customer = Journeys.Someone();
        await Journeys.RegisterAsync(browser, customer);
        await DeliverAsync(app);
        await Journeys.ConfirmEmailAsync(app, browser, customer);
        return customer;
    }

    /// <summary>The background workers are off in these tests (the outbox test drives them); deliver by hand.</summary>
    private static async Task DeliverAsync(DerbesApp app)
    {
        while (await app.Service<OutboxWorker>().DeliverDueAsync(CancellationToken.None) > 0)
        {
        }
    }

    private Task<Derbes.Web.Customers.Account> AccountAsync(string email)
    {
        var index = _a.Service<BlindIndex>().Email(email);
        return _b.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index));
    }

    private static string AlertText(WebPage page) =>
        Spaces().Replace(page.Document.QuerySelector("main [role=alert]")?.TextContent ?? "", " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

using System.Net;
using Derbes.Web.Messaging;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Scale;

/// <summary>
/// PostgreSQL goes away in the middle of a run and comes back: the app says it is not ready, fails requests
/// with the generic error page, and serves again without a restart; mail queued before the outage still goes.
/// </summary>
[Trait("Database", "Postgres")]
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task TheAppSurvivesPostgresStoppingAndStartingAgain()
    {
        using var cluster = new PostgresCluster();
        using var app = new DerbesApp(new() { ["Outbox:PollInterval"] = "00:00:00.200" }, postgres: TestDatabase.CreatePostgres(cluster.Server));
        using var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/health/ready")).Status);

        // A message queued before the outage, not yet due (the worker would otherwise send it at once).
        var queuedTo = "queued-" + Guid.NewGuid().ToString("N")[..8] + "@example.kz";
        await app.WithDbAsync(async db =>
        {
            var owner = await db.Users.Select(a => a.Id).FirstAsync();
            var outbox = new Outbox(db, app.Service<Derbes.Web.Security.PersonalDataVault>(), app.Clock, app.Service<OutboxSignal>());
            outbox.Email(owner, "outage-test", new EmailContent(queuedTo, "Queued before the outage", "Hello", "<p>Hello</p>"));
            await db.SaveChangesAsync();
            return await db.Outbox.Where(m => m.Kind == "outage-test")
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.AvailableAt, app.Clock.GetUtcNow().AddMinutes(1)));
        });

        cluster.Stop();

        var ready = await browser.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/health/live")).Status);
        var policy = await browser.GetAsync("/privacy");
        Assert.Equal(HttpStatusCode.InternalServerError, policy.Status);
        Assert.Equal(app.TextIn("kk", "Error.Title"), policy.Document.QuerySelector("main h1")?.TextContent.Trim());
        foreach (var leak in new[] { "Npgsql", "Exception", "   at ", "5432", cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "SELECT" })
        {
            Assert.DoesNotContain(leak, policy.Body, StringComparison.Ordinal);
        }
        var signIn = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal(HttpStatusCode.InternalServerError, signIn.Status);

        // The message becomes due while the database is still down: the worker fails, keeps it, and goes on.
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        app.Service<OutboxSignal>().Notify();
        await Task.Delay(TimeSpan.FromSeconds(1));

        cluster.Start();

        // No restart: the same app answers again once its pool reconnects.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpStatusCode status;
        do
        {
            status = (await browser.GetAsync("/health/ready")).Status;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(250);
            }
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/privacy")).Status);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);

        app.Service<OutboxSignal>().Notify();
        var delivered = await app.Mail.WaitForAsync(queuedTo, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("Queued before the outage", delivered.Subject);
    }
}

using Derbes.Web.Campaigns;
using Derbes.Web.Messaging;
using Derbes.Web.Tests.Infrastructure;

namespace Derbes.Web.Tests.Messaging;

/// <summary>
/// A campaign's Markdown is rendered once per outbox batch and language (issue 8's benchmark), not once per email:
/// customers of both languages in one batch still each get their own language's body, and their own greeting and link.
/// </summary>
public sealed class CampaignEmailBodyTests
{
    // Wednesday 25 November 2026, 10:00 in Almaty: a working day, inside the sending window.
    private static readonly DateTimeOffset Wednesday = new(2026, 11, 25, 5, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task CustomersOfBothLanguagesInOneBatchEachGetTheirLanguagesBodyWithTheirOwnUnsubscribeLink()
    {
        using var app = new DerbesApp(new() { ["Campaigns:Interval"] = "1.00:00:00" }, startAt: Wednesday);
        var customers = new List<NewCustomer>();
        foreach (var language in new[] { "kk", "ru", "kk" })
        {
            using var browser = app.NewBrowser();
            var customer = Journeys.Someone(language);
            await Journeys.RegisterAsync(browser, customer, overrides: new Dictionary<string, string> { ["Input.AdvertisingEmail"] = "true" });
            await Journeys.ConfirmEmailAsync(app, browser, customer);
            customers.Add(customer);
        }
        var now = app.Clock.GetUtcNow();
        await app.WithDbAsync(async db =>
        {
            var campaign = new Campaign
            {
                Name = "Autumn",
                Kind = CampaignKind.Advertising,
                Channel = MessageChannel.Email,
                Status = CampaignStatus.Scheduled,
                ScheduledFor = now,
                CreatedBy = Guid.NewGuid(),
                CreatedAt = now,
                UpdatedAt = now,
            };
            campaign.Texts.Add(new CampaignText { Language = "kk", Subject = "Күзгі бағалар", Body = "**Күзгі** бағалар: алма арзандады." });
            campaign.Texts.Add(new CampaignText { Language = "ru", Subject = "Осенние цены", Body = "**Осенние** цены: яблоки дешевле." });
            db.Campaigns.Add(campaign);
            return await db.SaveChangesAsync();
        });

        // Started and queued, then a minute later released (600 a minute): all three leave in one outbox batch.
        var sender = app.Service<CampaignSender>();
        await sender.TickAsync(CancellationToken.None);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, await sender.TickAsync(CancellationToken.None));

        var links = new HashSet<string>();
        foreach (var customer in customers)
        {
            var kazakh = customer.Language == "kk";
            var mail = await app.Mail.WaitForAsync(customer.Email, kazakh ? "Күзгі бағалар" : "Осенние цены");
            Assert.Contains(kazakh ? "<strong>Күзгі</strong> бағалар" : "<strong>Осенние</strong> цены", mail.HtmlBody, StringComparison.Ordinal);
            Assert.DoesNotContain(kazakh ? "Осенние" : "Күзгі", mail.HtmlBody, StringComparison.Ordinal);
            Assert.Contains(kazakh ? "Күзгі бағалар: алма арзандады." : "Осенние цены: яблоки дешевле.", mail.TextBody, StringComparison.Ordinal);
            Assert.Contains(customer.FirstName, mail.TextBody, StringComparison.Ordinal);
            Assert.True(links.Add(Mailbox.Link(mail, "/unsubscribe/")), "two customers got the same unsubscribe link");
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Messaging;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Derbes.Web.Tests.Messaging;

/// <summary>
/// Email delivery against a real SMTP server, started in process on 127.0.0.1: the MIME as a mail client reads
/// it, its link followed through the app, and an outage that loses nothing.
/// </summary>
public sealed partial class SmtpDeliveryTests
{
    [Fact]
    public async Task TheConfirmationArrivesOverSmtpInTheCustomersLanguageWithBothPartsAndItsLinkConfirmsTheEmail()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        using var app = NewApp(smtp.Port);
        using var browser = app.NewBrowser();

        // Registered from the Kazakh page, choosing Russian for the account.
        var customer = Journeys.Someone("ru");
        var done = await Journeys.RegisterAsync(browser, customer);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);

        var subject = app.TextIn("ru", "Email.Confirm.Subject", "SMALL");
        var mail = await smtp.WaitForAsync(customer.Email, subject);

        var from = Assert.Single(mail.From.Mailboxes);
        Assert.Equal("SMALL", from.Name);
        Assert.Equal("no-reply@small.kz", from.Address);
        Assert.Equal(customer.Email, Assert.Single(mail.To.Mailboxes).Address);
        Assert.Equal("SMALL: подтвердите адрес электронной почты", mail.Subject);
        Assert.False(string.IsNullOrEmpty(mail.MessageId));

        var parts = mail.BodyParts.OfType<TextPart>().ToList();
        Assert.Contains(parts, p => p.IsPlain);
        Assert.Contains(parts, p => p.IsHtml);
        Assert.Contains(app.TextIn("ru", "Email.Confirm.Body", "SMALL"), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Здравствуйте, " + customer.FirstName, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("care@small.kz", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("care@small.kz", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("lang=\"ru\"", mail.HtmlBody, StringComparison.Ordinal);

        var link = Mailbox.Link(mail, "/account/confirm-email");
        Assert.StartsWith("https://shop.example.kz/account/confirm-email?token=", link, StringComparison.Ordinal);
        // The HTML button carries the very same link.
        Assert.Contains(Href().Matches(mail.HtmlBody!).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)), href => href == link);

        var confirmPage = await browser.GetAsync(new Uri(link).PathAndQuery);
        var confirmed = await browser.SubmitAsync(confirmPage);
        Assert.Contains("alert success", confirmed.Body, StringComparison.Ordinal);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);

        // The SMTP server was the only way out: nothing went to the pickup folder.
        Assert.Equal(0, app.Mail.Count);
    }

    [Fact]
    public async Task AnSmtpOutageLosesNothingTheOutboxKeepsTheMessageAndDeliversItAfterTheBackoff()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        var port = smtp.Port;
        using var app = NewApp(port);
        using var browser = app.NewBrowser();

        // Working: the first customer's confirmation arrives.
        var first = Journeys.Someone();
        await Journeys.RegisterAsync(browser, first);
        await smtp.WaitForAsync(first.Email, app.TextIn("kk", "Email.Confirm.Subject", "SMALL"));

        // The server goes away; a second customer registers meanwhile.
        await smtp.DisposeAsync();
        var second = Journeys.Someone();
        using var other = app.NewBrowser();
        var done = await Journeys.RegisterAsync(other, second);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);
        var index = app.Service<Derbes.Web.Security.BlindIndex>().Email(second.Email);
        var accountId = await app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());

        // The worker tried, failed, and kept the message for later.
        var failed = await WaitForRowAsync(app, accountId, m => m.SentAt == null && m.Attempts >= 1);
        Assert.Null(failed.SentAt);
        Assert.NotNull(failed.SealedPayload);
        Assert.False(string.IsNullOrEmpty(failed.LastError));
        Assert.True(failed.AvailableAt > app.Clock.GetUtcNow(), "the retry is not pushed back");
        var attempts = failed.Attempts;

        // The server comes back on the same port. Until the backoff has passed, the worker leaves the message be.
        await using var again = await TestSmtpServer.StartAsync(port);
        await Task.Delay(TimeSpan.FromMilliseconds(600)); // three of the worker's polls, in real time
        Assert.Empty(again.Received(second.Email));
        var quiet = await app.WithDbAsync(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Id == failed.Id));
        Assert.Null(quiet.SentAt);
        Assert.Equal(attempts, quiet.Attempts);

        // Past the backoff, it is delivered: whole, in the customer's language, with a link that works.
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var mail = await again.WaitForAsync(second.Email, app.TextIn("kk", "Email.Confirm.Subject", "SMALL"));
        Assert.Equal("no-reply@small.kz", Assert.Single(mail.From.Mailboxes).Address);
        Assert.Contains("care@small.kz", mail.HtmlBody, StringComparison.Ordinal);
        var sent = await WaitForRowAsync(app, accountId, m => m.Id == failed.Id && m.SentAt != null);
        Assert.Null(sent.SealedPayload);
        Assert.Null(sent.LastError);

        var confirmPage = await other.GetAsync(new Uri(Mailbox.Link(mail, "/account/confirm-email")).PathAndQuery);
        var confirmed = await other.SubmitAsync(confirmPage);
        Assert.Contains("alert success", confirmed.Body, StringComparison.Ordinal);

        // Nothing lost: every email for the second customer left the outbox, none of them twice.
        var rows = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.AccountId == accountId && m.Channel == MessageChannel.Email).ToListAsync());
        Assert.All(rows, r => Assert.NotNull(r.SentAt));
        Assert.Equal(2, rows.Count); // the confirmation and "documents received"
        await WaitUntilAsync(() => again.Received(second.Email).Count >= rows.Count);
        Assert.Equal(rows.Count, again.Received(second.Email).Count);
    }

    // ------------------------------------------------------------------ helpers

    private static DerbesApp NewApp(int port) => new(new()
    {
        ["Smtp:Host"] = "127.0.0.1",
        ["Smtp:Port"] = port.ToString(CultureInfo.InvariantCulture),
        ["Smtp:Security"] = "None",
    });

    /// <summary>Polls the outbox (real time: the worker runs on its own) until the account's confirmation row matches.</summary>
    private static async Task<OutboxMessage> WaitForRowAsync(DerbesApp app, Guid accountId, Func<OutboxMessage, bool> condition)
    {
        OutboxMessage? row = null;
        await WaitUntilAsync(async () =>
        {
            row = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.AccountId == accountId && m.Kind == "confirm-email").SingleAsync());
            return condition(row);
        });
        return row!;
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not come true in 15 seconds.");
            }
            await Task.Delay(50);
        }
    }

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex Href();
}

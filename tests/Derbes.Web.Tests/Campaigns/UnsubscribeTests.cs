using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Derbes.Web.Tests.Campaigns;

/// <summary>
/// Every way out of campaigns (issue 8, policy 5.6): the List-Unsubscribe headers and the visible link of a campaign
/// email as a mail client receives it over SMTP; the RFC 8058 one-click POST without cookies in both form encodings;
/// a GET (a mail scanner) that unsubscribes no one; forged, altered, truncated and re-pointed tokens; the next
/// campaign leaving the customer out and the figures counting them; the SMS gateway's STOP callback; a test send's
/// link; and a withdrawal by letter honoured by a message already queued.
/// </summary>
public sealed partial class UnsubscribeTests
{
    /// <summary>Wednesday 25 November 2026, 10:00 in Almaty: a working day, inside the sending window.</summary>
    private static readonly DateTimeOffset Wednesday = new(2026, 11, 25, 5, 0, 0, TimeSpan.Zero);

    private const string GatewaySecret = "gateway-secret-for-tests";

    [Fact]
    public async Task ACampaignEmailCarriesTheOneClickHeadersTheVisibleLinkAndTheReasonInTheCustomersLanguage()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        using var app = new DerbesApp(new()
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Smtp:Security"] = "None",
        }, startAt: Wednesday);
        var kazakh = await SeededAsync(app, "kk");
        var russian = await SeededAsync(app, "ru");
        // The consents were given on the 25th; the campaign leaves a day later: the reason names the day of the consent.
        app.Clock.Advance(TimeSpan.FromDays(1));

        var id = await RunCampaignAsync(app);

        foreach (var (customer, language, subject) in new[] { (kazakh, "kk", KazakhSubject), (russian, "ru", RussianSubject) })
        {
            var mail = await smtp.WaitForAsync(customer.Email, subject);
            var (link, mailto) = UnsubscribeHeader(mail);

            // The https link: the public address, a token that names this customer, the email channel and this campaign.
            Assert.StartsWith(DerbesApp.PublicUrl + "/unsubscribe/", link, StringComparison.Ordinal);
            Assert.Equal(new UnsubscribeClaim(customer.Id, MessageChannel.Email, id), app.Service<UnsubscribeToken>().Read(TokenOf(link)));
            Assert.EndsWith("?lang=" + language, link, StringComparison.Ordinal);
            // The mailto: to the care address, the token in the subject so the letter can be matched.
            Assert.StartsWith("mailto:care@small.kz?subject=", mailto, StringComparison.Ordinal);
            Assert.Contains(TokenOf(link), Uri.UnescapeDataString(mailto), StringComparison.Ordinal);
            Assert.Equal("List-Unsubscribe=One-Click", mail.Headers["List-Unsubscribe-Post"]);

            // The visible link and the reason, with the day the customer agreed, in both parts and the customer's language.
            var reason = app.TextIn(language, "Campaign.Email.Reason", "SMALL", "25.11.2026");
            var stop = app.TextIn(language, "Campaign.Email.Unsubscribe");
            Assert.Contains(reason, mail.TextBody, StringComparison.Ordinal);
            Assert.Contains(stop + ": " + link, mail.TextBody, StringComparison.Ordinal);
            var html = WebUtility.HtmlDecode(mail.HtmlBody);
            Assert.Contains(reason, html, StringComparison.Ordinal);
            Assert.Contains($"<a href=\"{link}\"", html, StringComparison.Ordinal);
            Assert.Contains(">" + stop + "</a>", html, StringComparison.Ordinal);
            Assert.Contains($"lang=\"{language}\"", mail.HtmlBody, StringComparison.Ordinal);
            Assert.Contains(app.TextIn(language, "Email.Greeting", "Айгүл"), mail.TextBody, StringComparison.Ordinal);
            Assert.Contains(language == "kk" ? "жемістерге" : "на все фрукты", mail.TextBody, StringComparison.Ordinal);
            Assert.Contains("<strong>", mail.HtmlBody, StringComparison.Ordinal);
            Assert.Single(smtp.Received(customer.Email));
        }
    }

    [Fact]
    public async Task AOneClickPostWithoutCookiesUnsubscribesAtOnceWithoutARedirectInBothFormEncodingsAndOnlyOnce()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var first = await RegisteredAsync(app, "kk");
        var second = await RegisteredAsync(app, "ru");
        var id = await RunCampaignAsync(app);
        using var client = NoCookies(app);

        var encodings = new (Guid Id, string Email, string Language, Func<HttpContent> Body)[]
        {
            (first.Id, first.Customer.Email, "kk", () => new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")])),
            (second.Id, second.Customer.Email, "ru", () => new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } }),
        };
        foreach (var (accountId, email, language, body) in encodings)
        {
            var (link, _) = UnsubscribeHeader(await CampaignMailAsync(app, email, language));
            var before = await LedgerAsync(app, accountId);

            using var response = await client.PostAsync(new Uri(link).PathAndQuery, body());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(response.Headers.Location);
            Assert.Contains(app.TextIn(language, "Unsubscribe.Email.Done"), WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);

            var after = await LedgerAsync(app, accountId);
            var record = Assert.Single(after, r => !before.Any(b => b.Id == r.Id));
            Assert.Equal(ConsentPurpose.AdvertisingEmail, record.Purpose);
            Assert.False(record.Granted);
            Assert.Equal(ConsentAction.Withdraw, record.Action);
            Assert.Equal(ConsentChannel.EmailLink, record.Channel);
            Assert.Equal("campaign:" + id.ToString(CultureInfo.InvariantCulture), record.Reference);
            Assert.Equal(language, record.Language);
            Assert.Equal(1, await WithdrawalAuditsAsync(app, accountId, "AdvertisingEmail"));

            // A mail client that posts again (or the customer pressing twice) records nothing new.
            using var again = await client.PostAsync(new Uri(link).PathAndQuery, body());
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Null(again.Headers.Location);
            Assert.Equal(after.Count, (await LedgerAsync(app, accountId)).Count);
            Assert.Equal(1, await WithdrawalAuditsAsync(app, accountId, "AdvertisingEmail"));
        }
    }

    [Fact]
    public async Task OneClickPostsArrivingAllAtOnceWriteOneWithdrawal()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var customer = await RegisteredAsync(app, "kk");
        await RunCampaignAsync(app);
        var (link, _) = UnsubscribeHeader(await CampaignMailAsync(app, customer.Customer.Email, "kk"));
        var before = await LedgerAsync(app, customer.Id);

        // A mail client's one-click POST, its retries and the customer's own clicks, all at the same moment.
        using var client = NoCookies(app);
        var posts = Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await client.PostAsync(new Uri(link).PathAndQuery, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
            return response.StatusCode;
        }).ToList();
        Assert.All(await Task.WhenAll(posts), status => Assert.Equal(HttpStatusCode.OK, status));

        var added = (await LedgerAsync(app, customer.Id)).Where(r => !before.Any(b => b.Id == r.Id)).ToList();
        Assert.False(Assert.Single(added).Granted);
        Assert.Equal(1, await WithdrawalAuditsAsync(app, customer.Id, "AdvertisingEmail"));
    }

    [Fact]
    public async Task OpeningTheLinkUnsubscribesNobodyAndShowsOneButtonInTheCustomersLanguageWhichDoes()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var kazakh = await RegisteredAsync(app, "kk");
        var russian = await RegisteredAsync(app, "ru");
        await RunCampaignAsync(app);

        foreach (var (customer, language) in new[] { (kazakh, "kk"), (russian, "ru") })
        {
            var (link, _) = UnsubscribeHeader(await CampaignMailAsync(app, customer.Customer.Email, language));
            var before = await LedgerAsync(app, customer.Id);
            using var scanner = app.NewBrowser();

            // A mail scanner fetching the link, twice: nothing changes.
            var page = await scanner.GetAsync(new Uri(link).PathAndQuery);
            await scanner.GetAsync(new Uri(link).PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.Equal(before.Count, (await LedgerAsync(app, customer.Id)).Count);
            Assert.Equal(0, await WithdrawalAuditsAsync(app, customer.Id, "AdvertisingEmail"));
            Assert.Equal("no-referrer", page.Header("Referrer-Policy"));

            // One button, in the customer's language, and it works.
            var button = Assert.Single(page.Document.QuerySelectorAll("main button, main input[type=submit]"));
            Assert.Equal(app.TextIn(language, "Unsubscribe.Submit"), button.TextContent.Trim());
            Assert.Contains(app.TextIn(language, "Unsubscribe.Email.Lead", "SMALL"), page.Text, StringComparison.Ordinal);
            Assert.Equal(language, page.Document.DocumentElement.GetAttribute("lang"));
            var done = await scanner.SubmitAsync(page);
            Assert.Equal(HttpStatusCode.OK, done.Status);
            Assert.Contains(app.TextIn(language, "Unsubscribe.Email.Done"), done.Text, StringComparison.Ordinal);
            Assert.False((await LedgerAsync(app, customer.Id))[^1].Granted);

            // Opened again later: it says so, without a button.
            var later = await scanner.GetAsync(new Uri(link).PathAndQuery);
            Assert.Contains(app.TextIn(language, "Unsubscribe.Email.Done"), later.Text, StringComparison.Ordinal);
            Assert.Empty(later.Document.QuerySelectorAll("main button"));
        }
    }

    [Fact]
    public async Task AForgedAlteredTruncatedOrReassignedTokenIsNotFoundAndAPostWithoutTheOneClickBodyIsRefused()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var customer = await RegisteredAsync(app, "kk");
        var id = await RunCampaignAsync(app);
        var (link, _) = UnsubscribeHeader(await CampaignMailAsync(app, customer.Customer.Email, "kk"));
        var token = TokenOf(link);
        var before = await LedgerAsync(app, customer.Id);
        using var client = NoCookies(app);

        var genuine = Base64Url.DecodeFromChars(token);
        var forged = (byte[])genuine.Clone();
        RandomNumberGenerator.Fill(forged.AsSpan(1));
        var otherCampaign = (byte[])genuine.Clone();
        BinaryPrimitives.WriteInt64BigEndian(otherCampaign.AsSpan(18, 8), id + 1);
        var flipped = token.ToCharArray();
        flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
        var bad = new Dictionary<string, string>
        {
            ["forged"] = Base64Url.EncodeToString(forged),
            ["altered"] = new string(flipped),
            ["last character altered"] = token[..^1] + (token[^1] == 'A' ? 'Q' : 'A'),
            ["truncated"] = token[..^1],
            ["truncated to the payload"] = token[..36],
            ["another campaign, the original tag"] = Base64Url.EncodeToString(otherCampaign),
            ["padded"] = token + "AAAA",
            ["not base64"] = token[..^2] + "!!",
        };
        foreach (var (what, wrong) in bad)
        {
            var path = "/unsubscribe/" + wrong + "?lang=kk";
            using var get = await client.GetAsync(path);
            Assert.True(HttpStatusCode.NotFound == get.StatusCode, what + ": GET " + get.StatusCode);
            Assert.DoesNotContain("id=\"unsubscribe\"", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var post = await client.PostAsync(path, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
            Assert.True(HttpStatusCode.NotFound == post.StatusCode, what + ": POST " + post.StatusCode);
        }

        // The genuine link, but not the RFC 8058 body: refused.
        var genuinePath = new Uri(link).PathAndQuery;
        using (var empty = await client.PostAsync(genuinePath, null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        }
        using (var other = await client.PostAsync(genuinePath, new FormUrlEncodedContent([new("List-Unsubscribe", "Yes")])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        }
        using (var json = await client.PostAsync(genuinePath, new StringContent("{\"List-Unsubscribe\":\"One-Click\"}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        }

        Assert.Equal(before.Count, (await LedgerAsync(app, customer.Id)).Count);
        Assert.Equal(0, await WithdrawalAuditsAsync(app, customer.Id, "AdvertisingEmail"));
        Assert.Equal(0, await app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => !c.Granted && c.Purpose == ConsentPurpose.AdvertisingEmail)));
    }

    [Fact]
    public async Task AfterUnsubscribingTheNextCampaignLeavesTheCustomerOutAndTheFiguresCountTheUnsubscribe()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var leaving = await RegisteredAsync(app, "kk");
        var staying = await RegisteredAsync(app, "ru");
        var first = await RunCampaignAsync(app);
        var (link, _) = UnsubscribeHeader(await CampaignMailAsync(app, leaving.Customer.Email, "kk"));
        await CampaignMailAsync(app, staying.Customer.Email, "ru");
        using var client = NoCookies(app);
        using (var response = await client.PostAsync(new Uri(link).PathAndQuery, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")])))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var second = await RunCampaignAsync(app, subjectKk: "Екінші науқан", subjectRu: "Вторая рассылка");
        await CampaignMailAsync(app, staying.Customer.Email, "ru", "Вторая рассылка");
        var queued = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.Reference == Campaign.ReferenceOf(second)).Select(m => m.AccountId).ToListAsync());
        Assert.Equal([staying.Id], queued);
        Assert.DoesNotContain(app.Mail.All(leaving.Customer.Email), m => m.Subject == "Екінші науқан");

        var (firstFigures, secondFigures) = await FiguresAsync(app, first, second);
        Assert.Equal(2, firstFigures.Sent);
        Assert.Equal(1, firstFigures.Unsubscribed);
        Assert.Equal(1, secondFigures.Audience);
        Assert.Equal(1, secondFigures.Sent);
        Assert.Equal(0, secondFigures.Unsubscribed);
    }

    [Fact]
    public async Task AStopReplySignedByTheGatewayFromAConfirmedPhoneInAnyFormatWithdrawsSmsConsentAndNothingElseDoes()
    {
        using var app = new DerbesApp(new() { ["Sms:InboundSecret"] = GatewaySecret }, startAt: Wednesday);
        var first = await RegisteredAsync(app, "kk", adSms: true, confirmPhone: true);
        var second = await RegisteredAsync(app, "ru", adSms: true, confirmPhone: true);
        var unconfirmed = await RegisteredAsync(app, "kk", adSms: true);
        using var client = NoCookies(app);
        var all = new[] { first, second, unconfirmed };
        var before = await app.WithDbAsync(db => db.ConsentRecords.CountAsync());

        // Not signed, or signed with another secret: 401, nothing recorded.
        Assert.Equal(HttpStatusCode.Unauthorized, await ReplyAsync(client, first.Customer.PhoneTyped, "STOP", signature: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await ReplyAsync(client, first.Customer.PhoneTyped, "STOP", signature: "sha256=" + new string('0', 64)));
        Assert.Equal(HttpStatusCode.Unauthorized, await ReplyAsync(client, first.Customer.PhoneTyped, "STOP", secret: "another-secret"));
        // Genuine, but from nobody's phone, from a phone not confirmed, or not saying stop: 200, nothing recorded.
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, "+77019999999", "STOP"));
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, unconfirmed.Customer.PhoneE164, "STOP"));
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, first.Customer.PhoneE164, "Рахмет, келемін!"));
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, first.Customer.PhoneE164, "Don't stop"));
        Assert.Equal(before, await app.WithDbAsync(db => db.ConsentRecords.CountAsync()));
        foreach (var customer in all)
        {
            Assert.Equal(0, await WithdrawalAuditsAsync(app, customer.Id, "AdvertisingSms"));
        }

        // An SMS campaign to Kazakh-speaking customers reaches the first (the other prefers Russian; the third's phone is not confirmed).
        var campaign = await RunCampaignAsync(app, channel: MessageChannel.Sms, language: "kk");
        var sms = await app.Sms.WaitForAsync(first.Customer.PhoneE164);
        Assert.EndsWith(app.TextIn("kk", "Campaign.Sms.Stop"), sms, StringComparison.Ordinal);
        Assert.Equal([first.Id], await app.WithDbAsync(db => db.Outbox.Where(m => m.Reference == Campaign.ReferenceOf(campaign)).Select(m => m.AccountId).ToListAsync()));

        // "стоп" from the number as people type it (8 701 …): the withdrawal names the campaign it answers.
        // "Stop." from the other's number as gateways send it (77…, no plus): no campaign reached them, the gateway's message is named.
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, first.Customer.PhoneTyped, "стоп", messageId: "gw123"));
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, second.Customer.PhoneE164[1..], "Stop.", messageId: "gw124"));
        foreach (var (customer, reference) in new[] { (first, Campaign.ReferenceOf(campaign)), (second, "sms-reply:gw124") })
        {
            var record = (await LedgerAsync(app, customer.Id))[^1];
            Assert.Equal(ConsentPurpose.AdvertisingSms, record.Purpose);
            Assert.False(record.Granted);
            Assert.Equal(ConsentAction.Withdraw, record.Action);
            Assert.Equal(ConsentChannel.SmsReply, record.Channel);
            Assert.Equal(reference, record.Reference);
            Assert.Equal(customer.Customer.Language, record.Language);
            Assert.Equal(1, await WithdrawalAuditsAsync(app, customer.Id, "AdvertisingSms"));
        }
        // Email advertising is another consent: untouched. A second STOP records nothing.
        Assert.True(await app.WithDbAsync(db => db.ConsentRecords.Where(c => c.AccountId == first.Id && c.Purpose == ConsentPurpose.AdvertisingEmail).OrderBy(c => c.Id).Select(c => c.Granted).LastAsync()));
        var count = await app.WithDbAsync(db => db.ConsentRecords.CountAsync());
        Assert.Equal(HttpStatusCode.OK, await ReplyAsync(client, "+7 (" + first.Customer.PhoneE164[2..5] + ") " + first.Customer.PhoneE164[5..], "STOP"));
        Assert.Equal(count, await app.WithDbAsync(db => db.ConsentRecords.CountAsync()));
        Assert.Equal(0, await WithdrawalAuditsAsync(app, unconfirmed.Id, "AdvertisingSms"));
        var (figures, _) = await FiguresAsync(app, campaign, campaign);
        Assert.Equal((1, 1), (figures.Sent, figures.Unsubscribed));

        // The customer reads it in their cabinet, in words.
        using var browser = app.NewBrowser();
        await Journeys.SignInAsync(browser, first.Customer.Email, first.Customer.Password);
        var mine = await browser.GetAsync("/cabinet/consents");
        var history = mine.Document.QuerySelector("ol.ledger")!.TextContent;
        Assert.Contains(app.Text("MyConsents.Channel.SmsReply"), history, StringComparison.Ordinal);
        Assert.DoesNotContain("MyConsents.Channel.", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutASecretTheSmsCallbackDoesNotExist()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        using var client = NoCookies(app);
        Assert.Equal(HttpStatusCode.NotFound, await ReplyAsync(client, "+77011234567", "STOP"));
        Assert.Equal(0, await app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.Channel == ConsentChannel.SmsReply)));
    }

    [Fact]
    public async Task TheUnsubscribeLinkOfATestSendUnsubscribesNobody()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var customer = await RegisteredAsync(app, "kk");
        var staff = await StaffJourneys.CreateAsync(app, StaffRoles.Marketing);
        var id = await AddCampaignAsync(app, CampaignStatus.Draft);

        var accessor = app.Service<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, staff.Id.ToString())], "test")) };
        try
        {
            await using var scope = app.Services.CreateAsyncScope();
            Assert.Equal(CampaignResult.Done, await scope.ServiceProvider.GetRequiredService<CampaignDesk>().TestSendAsync(id, "ru", CancellationToken.None));
        }
        finally
        {
            accessor.HttpContext = null;
        }
        var mail = await app.Mail.WaitForAsync(staff.Email, app.TextIn("ru", "Campaign.TestSubject"));
        var (link, _) = UnsubscribeHeader(mail);
        Assert.Equal(new UnsubscribeClaim(staff.Id, MessageChannel.Email, id), app.Service<UnsubscribeToken>().Read(TokenOf(link)));
        var before = await app.WithDbAsync(db => db.ConsentRecords.CountAsync());
        using var client = NoCookies(app);

        // Opening it says it is a test link (not "you are unsubscribed"), with nothing to press.
        using (var get = await client.GetAsync(new Uri(link).PathAndQuery))
        {
            var page = WebUtility.HtmlDecode(await get.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Contains(app.TextIn("ru", "Unsubscribe.Test"), page, StringComparison.Ordinal);
            Assert.DoesNotContain(app.TextIn("ru", "Unsubscribe.Email.Done"), page, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"unsubscribe\"", page, StringComparison.Ordinal);
        }
        using (var post = await client.PostAsync(new Uri(link).PathAndQuery, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")])))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            Assert.Contains(app.TextIn("ru", "Unsubscribe.Test"), WebUtility.HtmlDecode(await post.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }
        Assert.Equal(before, await app.WithDbAsync(db => db.ConsentRecords.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == staff.Id)));
        Assert.Equal(0, await WithdrawalAuditsAsync(app, staff.Id, "AdvertisingEmail"));
        Assert.True((await LedgerAsync(app, customer.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
    }

    [Fact]
    public async Task AWithdrawalByLetterAfterTheCampaignIsQueuedIsHonouredWhenItsMessageLeaves()
    {
        using var app = new DerbesApp(startAt: Wednesday);
        var writer = await RegisteredAsync(app, "kk");
        var other = await RegisteredAsync(app, "ru");
        // The officer opens the customer's record first (signing in moves the clock, which would let the sender release).
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, officer);
        var record = await browser.SubmitAsync(await browser.GetAsync($"/admin/customers/{writer.Id}"), new Dictionary<string, string> { ["Reason"] = "PrivacyRequest", ["Reference"] = "ВХ-2026-40" });

        // Queued: both customers are in the audience, their messages held.
        var id = await AddCampaignAsync(app, CampaignStatus.Scheduled);
        await app.Service<CampaignSender>().TickAsync(CancellationToken.None);
        var held = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.Reference == Campaign.ReferenceOf(id)).ToListAsync());
        Assert.Equal(2, held.Count);
        Assert.All(held, m => Assert.Null(m.SentAt));

        // The customer's letter: withdrawn by the officer, with the letter's reference.
        var done = await browser.SubmitAsync(record, new Dictionary<string, string>
        {
            ["LetterPurpose"] = "AdvertisingEmail",
            ["Decision"] = "Withdraw",
            ["Letter"] = "ВХ-2026-41",
            ["Obligation"] = "",
        }, formSelector: "main form[action*='handler=letter']");
        Assert.Contains(app.Text("Consents.Letter.Done"), done.Text, StringComparison.Ordinal);
        var entry = (await LedgerAsync(app, writer.Id))[^1];
        Assert.Equal((ConsentPurpose.AdvertisingEmail, false, ConsentChannel.StaffEntry, "ВХ-2026-41", officer.Id), (entry.Purpose, entry.Granted, entry.Channel, entry.Reference, entry.StaffId));

        // Released and sent: the other customer receives it, the writer does not, and the outbox says why.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await app.Service<CampaignSender>().TickAsync(CancellationToken.None);
        var rows = await SentAsync(app, id);
        await CampaignMailAsync(app, other.Customer.Email, "ru");
        var skipped = Assert.Single(rows, m => m.AccountId == writer.Id);
        Assert.NotNull(skipped.SentAt);
        Assert.Equal("not sent: consent withdrawn", skipped.LastError);
        Assert.Null(Assert.Single(rows, m => m.AccountId == other.Id).LastError);
        Assert.DoesNotContain(app.Mail.All(writer.Customer.Email), m => m.Subject == KazakhSubject);
        var (figures, _) = await FiguresAsync(app, id, id);
        Assert.Equal((1, 1), (figures.Sent, figures.Skipped));
    }

    // ------------------------------------------------------------------ helpers

    private const string KazakhSubject = "Жаңа жылдық жеңілдіктер";
    private const string RussianSubject = "Новогодние скидки";

    private sealed record Registered(NewCustomer Customer, Guid Id);

    /// <summary>A customer registered through the real pages, email confirmed, agreeing to email advertising (and SMS if asked).</summary>
    private static async Task<Registered> RegisteredAsync(DerbesApp app, string language, bool adSms = false, bool confirmPhone = false)
    {
        using var browser = app.NewBrowser();
        var customer = Journeys.Someone(language);
        var done = await Journeys.RegisterAsync(browser, customer, overrides: Journeys.Fields(customer, adEmail: true, adSms: adSms));
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);
        if (confirmPhone)
        {
            var code = await app.Sms.WaitForCodeAsync(customer.PhoneE164);
            var verify = await browser.GetAsync(done.Document.QuerySelector("main a[href*='verify-phone']")!.GetAttribute("href")!);
            await browser.SubmitAsync(verify, new Dictionary<string, string> { ["Code"] = code }, formSelector: "main form:not([action*=handler])");
        }
        await Journeys.ConfirmEmailAsync(app, browser, customer);
        var id = await app.AccountIdAsync(customer.Email);
        Assert.Equal(confirmPhone, await app.WithDbAsync(db => db.Users.Where(a => a.Id == id).Select(a => a.PhoneNumberConfirmed).SingleAsync()));
        return new Registered(customer, id);
    }

    /// <summary>A confirmed customer written directly (no registration email: the SMTP test reads only campaign mail), agreeing to email advertising now.</summary>
    private static async Task<SeededCustomer> SeededAsync(DerbesApp app, string language)
    {
        var customer = Assert.Single(await CustomerSeed.AddAsync(app, 1, _ => false, language));
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<ConsentLedger>().Record(customer.Id, ConsentPurpose.AdvertisingEmail, true, 1, language, "advertising by email");
        await scope.ServiceProvider.GetRequiredService<DerbesDb>().SaveChangesAsync();
        return customer;
    }

    private static Task<long> AddCampaignAsync(
        DerbesApp app, CampaignStatus status, string subjectKk = KazakhSubject, string subjectRu = RussianSubject, MessageChannel channel = MessageChannel.Email, string? language = null)
    {
        var now = app.Clock.GetUtcNow();
        return app.WithDbAsync(async db =>
        {
            var campaign = new Campaign
            {
                Name = "Жаңа жыл " + subjectKk,
                Kind = CampaignKind.Advertising,
                Channel = channel,
                Language = language,
                Status = status,
                ScheduledFor = status == CampaignStatus.Scheduled ? now : null,
                CreatedBy = Guid.NewGuid(),
                CreatedAt = now,
                UpdatedAt = now,
                Texts =
                [
                    new CampaignText { Language = "kk", Subject = subjectKk, Body = "**Барлық** жемістерге 20% жеңілдік, 31 желтоқсанға дейін." },
                    new CampaignText { Language = "ru", Subject = subjectRu, Body = "Скидка 20% **на все фрукты** до 31 декабря." },
                ],
            };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync();
            return campaign.Id;
        });
    }

    /// <summary>Adds a campaign due now, lets the sender start, queue and release it, and waits until the outbox has sent all of it.</summary>
    private static async Task<long> RunCampaignAsync(
        DerbesApp app, string subjectKk = KazakhSubject, string subjectRu = RussianSubject, MessageChannel channel = MessageChannel.Email, string? language = null)
    {
        var id = await AddCampaignAsync(app, CampaignStatus.Scheduled, subjectKk, subjectRu, channel, language);
        var sender = app.Service<CampaignSender>();
        await sender.TickAsync(CancellationToken.None);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await sender.TickAsync(CancellationToken.None);
        await SentAsync(app, id);
        return id;
    }

    /// <summary>The campaign's outbox rows once none is left unsent (the worker runs on its own, in real time).</summary>
    private static async Task<List<OutboxMessage>> SentAsync(DerbesApp app, long id)
    {
        var reference = Campaign.ReferenceOf(id);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var rows = await app.WithDbAsync(db => db.Outbox.AsNoTracking().Where(m => m.Reference == reference).ToListAsync());
            if (rows.Count > 0 && rows.All(m => m.SentAt != null))
            {
                return rows;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Campaign {id} was not sent: {rows.Count} rows, {rows.Count(m => m.SentAt == null)} unsent.");
            }
            await Task.Delay(50);
        }
    }

    private static Task<MimeMessage> CampaignMailAsync(DerbesApp app, string email, string language, string? subject = null) =>
        app.Mail.WaitForAsync(email, subject ?? (language == "ru" ? RussianSubject : KazakhSubject));

    /// <summary>The two addresses of List-Unsubscribe, read from the raw header as a mail client reads it: no encoded words, no break inside an address.</summary>
    private static (string Link, string Mailto) UnsubscribeHeader(MimeMessage mail)
    {
        var header = mail.Headers.Single(h => h.Field == "List-Unsubscribe");
        var raw = Encoding.ASCII.GetString(header.RawValue);
        Assert.DoesNotContain("=?", raw, StringComparison.Ordinal);
        // Unfolding removes the line breaks only (RFC 5322 2.2.3); what is left must be exactly two <address> entries.
        var unfolded = raw.Replace("\r\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim();
        var match = ListUnsubscribe().Match(unfolded);
        Assert.True(match.Success, "List-Unsubscribe: " + unfolded);
        return (match.Groups[1].Value, match.Groups[2].Value);
    }

    private static string TokenOf(string link) => new Uri(link).AbsolutePath["/unsubscribe/".Length..];

    /// <summary>A client like a mail provider's: no cookies, no redirects followed.</summary>
    private static HttpClient NoCookies(DerbesApp app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = false });

    private static Task<List<ConsentRecord>> LedgerAsync(DerbesApp app, Guid accountId) =>
        app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == accountId).OrderBy(c => c.Id).ToListAsync());

    private static Task<int> WithdrawalAuditsAsync(DerbesApp app, Guid accountId, string purpose) =>
        app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.changed" && e.Subject == accountId.ToString() && e.Outcome == purpose + ":withdrawn"));

    private static async Task<(CampaignFigures, CampaignFigures)> FiguresAsync(DerbesApp app, long first, long second)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var desk = scope.ServiceProvider.GetRequiredService<CampaignDesk>();
        var a = await desk.FiguresAsync((await desk.OpenAsync(first, CancellationToken.None))!, CancellationToken.None);
        var b = await desk.FiguresAsync((await desk.OpenAsync(second, CancellationToken.None))!, CancellationToken.None);
        return (a, b);
    }

    /// <summary>The SMS gateway's callback for a reply, signed (by default) as the gateway signs it.</summary>
    private static async Task<HttpStatusCode> ReplyAsync(HttpClient client, string from, string text, string? messageId = null, string secret = GatewaySecret, string? signature = "")
    {
        var body = "from=" + Uri.EscapeDataString(from) + "&text=" + Uri.EscapeDataString(text) + (messageId is null ? "" : "&id=" + messageId);
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sms/inbound") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        if (signature is not null)
        {
            request.Headers.Add(SmsReplies.SignatureHeader, signature.Length > 0 ? signature : "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes)));
        }
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [GeneratedRegex(@"^<(https://[^<>\s]+)>,\s*<(mailto:[^<>\s]+)>$")]
    private static partial Regex ListUnsubscribe();
}

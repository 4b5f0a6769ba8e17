using System.Globalization;
using System.Text.RegularExpressions;
using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Tests.Infrastructure;
using MailKit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Derbes.Web.Tests.Campaigns;

/// <summary>
/// Opting out by writing to the care address (policy 5.6), read from a real IMAP server (Dovecot, letters put in by
/// IMAP APPEND): the words in English, Russian and Kazakh in the subject or the first line; our mailto's token from
/// any address, and an altered one; unknown senders and other letters left unread for the staff and not examined
/// again; a customer already out; a letter with a 2 MB attachment that is never downloaded; a sender the receiving
/// server found forged; and the job switched off.
/// </summary>
public sealed partial class MailboxOptOutTests(ImapServer imap) : IClassFixture<ImapServer>
{
    private const string Done = "Derbes/Applied";

    [ImapFact]
    public async Task ACustomerWritingUnsubscribeInAnyLanguageIsOptedOutToldAndTheLetterFiledWhileOtherLettersStayUnreadForTheStaff()
    {
        using var app = new DerbesApp(imap.Settings());
        var english = await SeededAsync(app, "ru");
        var russian = await SeededAsync(app, "ru");
        var kazakh = await SeededAsync(app, "kk");
        var chatty = await SeededAsync(app, "kk");
        const string stranger = "stranger@example.org";
        await EmptyAsync("INBOX", Done);

        await AppendAsync("INBOX",
            Letter(english.Email, "Unsubscribe", "Please stop.", "en-1@example.kz"),
            Letter(russian.Email, "Отписаться", "", "ru-1@example.kz"),
            Letter(kazakh.Email, "Re: Жаңа жылдық жеңілдіктер", "\r\n  Жазылымнан бас тарту!\r\n\r\n> Барлық жемістерге 20% жеңілдік", "kk-1@example.kz"),
            Letter(chatty.Email, "Дүкеннің жұмыс уақыты", "Сәлеметсіз бе! Дүкен жексенбіде нешеде ашылады? Unsubscribe", "other-1@example.kz"),
            Letter(stranger, "Unsubscribe", "unsubscribe", "unknown-1@example.org"));

        await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None);

        foreach (var (customer, language, messageId) in new[] { (english, "ru", "en-1@example.kz"), (russian, "ru", "ru-1@example.kz"), (kazakh, "kk", "kk-1@example.kz") })
        {
            // A consent-ledger record of the withdrawal, by a letter to the care address, naming the letter.
            var record = Assert.Single(await LedgerAsync(app, customer.Id), r => r.Purpose == ConsentPurpose.AdvertisingEmail && !r.Granted);
            Assert.Equal((ConsentAction.Withdraw, ConsentChannel.Mailbox, "mailbox:" + messageId, language), (record.Action, record.Channel, record.Reference, record.Language));
            Assert.Equal(1, await WithdrawalAuditsAsync(app, customer.Id));
            // Told by email, in their language, with the way back.
            var told = await app.Mail.WaitForAsync(customer.Email, app.TextIn(language, "Email.ConsentChanged.Subject", "SMALL"));
            Assert.Contains(app.TextIn(language, "ConsentPurpose.AdvertisingEmail"), told.TextBody, StringComparison.Ordinal);
            Assert.Contains(DerbesApp.PublicUrl + "/cabinet/consents", told.TextBody, StringComparison.Ordinal);
        }
        // The other letter from a customer: nothing changed, nothing sent.
        Assert.True((await LedgerAsync(app, chatty.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
        Assert.Empty(app.Mail.All(chatty.Email));
        Assert.Empty(app.Mail.All(stranger));

        // The applied letters are read and filed; the two others are still unread in the inbox, for the staff.
        var inbox = await LettersAsync("INBOX");
        Assert.Equal(["other-1@example.kz", "unknown-1@example.org"], inbox.Keys.Order(StringComparer.Ordinal));
        Assert.All(inbox.Values, seen => Assert.False(seen));
        var filed = await LettersAsync(Done);
        Assert.Equal(["en-1@example.kz", "kk-1@example.kz", "ru-1@example.kz"], filed.Keys.Order(StringComparer.Ordinal));
        Assert.All(filed.Values, seen => Assert.True(seen));

        // They are not examined again: even once the stranger's address is a customer's, the next run leaves it to the staff.
        var late = await SeededAsync(app, "kk", stranger);
        Assert.Equal(0, await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None));
        Assert.True((await LedgerAsync(app, late.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
        inbox = await LettersAsync("INBOX");
        Assert.Equal(2, inbox.Count);
        Assert.All(inbox.Values, seen => Assert.False(seen));
        // A new letter is: the cursor only moved past what was examined.
        await AppendAsync("INBOX", Letter(stranger, "отписка", "", "unknown-2@example.org"));
        Assert.Equal(1, await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None));
        Assert.False((await LedgerAsync(app, late.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
    }

    [ImapFact]
    public async Task OurMailtosTokenOptsOutItsCustomerFromAnyAddressAndAnAlteredTokenNobody()
    {
        var (folder, done) = Folders();
        using var app = new DerbesApp(imap.Settings(folder, done));
        var customer = await SeededAsync(app, "kk");
        var other = await SeededAsync(app, "ru");
        var campaign = await AddCampaignAsync(app);
        var subject = await MailtoSubjectAsync(app, campaign, customer);
        var otherSubject = await MailtoSubjectAsync(app, campaign, other);
        Assert.StartsWith("unsubscribe ", subject, StringComparison.Ordinal);
        var token = subject["unsubscribe ".Length..];
        var altered = token[..20] + (token[20] == 'A' ? 'B' : 'A') + token[21..];

        await AppendAsync(folder,
            // The customer's mail forwarded from another address: the token is the proof.
            Letter("forwarder@example.org", subject, "", "token-1@example.org"),
            // An altered token, even from the other customer's own address: nothing applied, left for the staff.
            Letter(other.Email, "unsubscribe " + altered, "", "altered-1@example.kz"),
            Letter(other.Email, "Re: " + otherSubject[..^1] + (otherSubject[^1] == 'A' ? 'B' : 'A'), "unsubscribe", "altered-2@example.kz"));

        await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None);

        var record = Assert.Single(await LedgerAsync(app, customer.Id), r => r.Purpose == ConsentPurpose.AdvertisingEmail && !r.Granted);
        Assert.Equal((ConsentChannel.Mailbox, Campaign.ReferenceOf(campaign.Id)), (record.Channel, record.Reference));
        await app.Mail.WaitForAsync(customer.Email, app.Text("Email.ConsentChanged.Subject", "SMALL"));
        Assert.Empty(app.Mail.All("forwarder@example.org"));
        Assert.True((await LedgerAsync(app, other.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
        Assert.Equal(0, await WithdrawalAuditsAsync(app, other.Id));

        Assert.Equal(["token-1@example.org"], (await LettersAsync(done)).Keys);
        var left = await LettersAsync(folder);
        Assert.Equal(["altered-1@example.kz", "altered-2@example.kz"], left.Keys.Order(StringComparer.Ordinal));
        Assert.All(left.Values, seen => Assert.False(seen));
    }

    [ImapFact]
    public async Task ACustomerAlreadyOutGetsNoSecondLedgerRecordAndNoSecondEmail()
    {
        var (folder, done) = Folders();
        using var app = new DerbesApp(imap.Settings(folder, done));
        var twice = await SeededAsync(app, "ru");
        var before = await SeededAsync(app, "kk");
        await CustomerSeed.RecordAsync(app, before.Id, ConsentPurpose.AdvertisingEmail, false);
        var ledgerBefore = (await LedgerAsync(app, before.Id)).Count;

        await AppendAsync(folder,
            Letter(twice.Email, "Отписаться", "", "twice-1@example.kz"),
            Letter(twice.Email, "Re: Отписаться", "Отписаться.", "twice-2@example.kz"),
            Letter(before.Email, "UNSUBSCRIBE", "", "before-1@example.kz"));

        await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None);

        Assert.Single(await LedgerAsync(app, twice.Id), r => r.Purpose == ConsentPurpose.AdvertisingEmail && !r.Granted);
        Assert.Equal(1, await WithdrawalAuditsAsync(app, twice.Id));
        await app.Mail.WaitForAsync(twice.Email, app.TextIn("ru", "Email.ConsentChanged.Subject", "SMALL"));
        Assert.Equal(ledgerBefore, (await LedgerAsync(app, before.Id)).Count);
        Assert.Equal(0, await WithdrawalAuditsAsync(app, before.Id));
        // Settle the outbox, then count: one email for two letters, none for the customer already out.
        await Task.Delay(1000);
        Assert.Single(app.Mail.All(twice.Email));
        Assert.Empty(app.Mail.All(before.Email));
        // All three are answered as far as they go: filed.
        Assert.Equal(3, (await LettersAsync(done)).Count);
        Assert.Empty(await LettersAsync(folder));
    }

    [ImapFact]
    public async Task ALetterWithATwoMegabyteAttachmentIsReadWithoutDownloadingIt()
    {
        var (folder, done) = Folders();
        using var app = new DerbesApp(imap.Settings(folder, done));
        var customer = await SeededAsync(app, "kk");
        var letter = Letter(customer.Email, "Re: Жаңа жылдық жеңілдіктер", "жазылымнан бас тарту", "big-1@example.kz", attachmentBytes: 2 * 1024 * 1024);
        await AppendAsync(folder, letter);
        var log = new FileInfo(imap.LogFile).Length;

        await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None);

        Assert.Single(await LedgerAsync(app, customer.Id), r => r.Purpose == ConsentPurpose.AdvertisingEmail && !r.Granted && r.Channel == ConsentChannel.Mailbox);
        Assert.Equal(["big-1@example.kz"], (await LettersAsync(done)).Keys);
        // What the server sent in every session since (Dovecot logs it at logout): the letter's 2.7 MB never left it.
        var sent = await SessionsSinceAsync(log);
        Assert.NotEmpty(sent);
        Assert.All(sent, bytes => Assert.True(bytes < 256 * 1024, $"a session received {bytes} bytes"));
    }

    [ImapFact]
    public async Task AnOptOutFromAnAddressTheReceivingServerFoundForgedIsLeftToTheStaff()
    {
        var (folder, done) = Folders();
        using var app = new DerbesApp(imap.Settings(folder, done));
        var victim = await SeededAsync(app, "kk");
        var listed = await SeededAsync(app, "ru");
        var domain = victim.Email[(victim.Email.IndexOf('@', StringComparison.Ordinal) + 1)..];

        var forged = Letter(victim.Email, "Unsubscribe", "", "forged-1@example.org");
        forged.Headers.Add(HeaderId.AuthenticationResults, $"mx.small.kz; spf=none smtp.mailfrom=evil.example.org; dkim=none; dmarc=fail (p=reject) header.from={domain}");
        var spf = Letter(victim.Email, "Отписаться", "", "forged-2@example.org");
        spf.Headers.Add(HeaderId.AuthenticationResults, $"mx.small.kz; spf=fail smtp.mailfrom={victim.Email}");
        // A failure about another domain (a mailing list's signature) is no reason to doubt the sender.
        var viaList = Letter(listed.Email, "Отписаться", "", "list-1@example.kz");
        viaList.Headers.Add(HeaderId.AuthenticationResults, $"mx.small.kz; dkim=fail header.d=lists.example.org; spf=pass smtp.mailfrom={listed.Email}; dmarc=pass header.from={domain}");
        await AppendAsync(folder, forged, spf, viaList);

        await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None);

        Assert.True((await LedgerAsync(app, victim.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
        Assert.Equal(0, await WithdrawalAuditsAsync(app, victim.Id));
        Assert.Single(await LedgerAsync(app, listed.Id), r => r.Purpose == ConsentPurpose.AdvertisingEmail && !r.Granted);
        Assert.Equal(["list-1@example.kz"], (await LettersAsync(done)).Keys);
        var left = await LettersAsync(folder);
        Assert.Equal(["forged-1@example.org", "forged-2@example.org"], left.Keys.Order(StringComparer.Ordinal));
        Assert.All(left.Values, seen => Assert.False(seen));
    }

    [ImapFact]
    public async Task WithoutAHostTheJobNeverConnects()
    {
        var (folder, _) = Folders();
        var settings = imap.Settings(folder);
        settings["Unsubscribe:Imap:Host"] = "";
        using var app = new DerbesApp(settings);
        var customer = await SeededAsync(app, "kk");
        await AppendAsync(folder, Letter(customer.Email, "Unsubscribe", "", "off-1@example.kz"));
        await Task.Delay(500);
        var logins = await LoginsAsync();

        Assert.Equal(0, await app.Service<MailboxOptOuts>().PollAsync(CancellationToken.None));
        await Task.Delay(500);
        Assert.Equal(logins, await LoginsAsync());

        Assert.True((await LedgerAsync(app, customer.Id)).Last(r => r.Purpose == ConsentPurpose.AdvertisingEmail).Granted);
        Assert.False(Assert.Single(await LettersAsync(folder)).Value);
        Assert.Equal(0, await app.WithDbAsync(db => db.MailboxCursors.CountAsync()));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>A folder of the test's own and the folder its handled letters go to.</summary>
    private static (string Folder, string Done) Folders()
    {
        var name = "T" + Guid.NewGuid().ToString("N")[..10];
        return (name, name + "/Applied");
    }

    private static MimeMessage Letter(string from, string subject, string text, string messageId, int attachmentBytes = 0)
    {
        var message = new MimeMessage { Subject = subject, MessageId = messageId };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("care@small.kz"));
        var body = new BodyBuilder { TextBody = text };
        if (attachmentBytes > 0)
        {
            var bytes = new byte[attachmentBytes];
            new Random(8).NextBytes(bytes);
            body.Attachments.Add("scan.pdf", bytes, new ContentType("application", "pdf"));
        }
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>Puts letters into a folder by IMAP APPEND, unread, as a mail server delivers them.</summary>
    private async Task AppendAsync(string folder, params MimeMessage[] letters)
    {
        using var client = await imap.ConnectAsync();
        var target = await ImapServer.FolderAsync(client, folder);
        foreach (var letter in letters)
        {
            await target.AppendAsync(letter, MessageFlags.None);
        }
        await client.DisconnectAsync(true);
    }

    /// <summary>Each letter in a folder by its Message-ID, and whether it is read.</summary>
    private async Task<Dictionary<string, bool>> LettersAsync(string folder)
    {
        using var client = await imap.ConnectAsync();
        var target = await ImapServer.FolderAsync(client, folder);
        await target.OpenAsync(FolderAccess.ReadOnly);
        var letters = target.Count == 0 ? [] : await target.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Flags);
        await client.DisconnectAsync(true);
        return letters.ToDictionary(l => l.Envelope!.MessageId ?? "", l => l.Flags!.Value.HasFlag(MessageFlags.Seen), StringComparer.Ordinal);
    }

    private async Task EmptyAsync(params string[] folders)
    {
        using var client = await imap.ConnectAsync();
        foreach (var path in folders)
        {
            var folder = await ImapServer.FolderAsync(client, path);
            await folder.OpenAsync(FolderAccess.ReadWrite);
            if (folder.Count > 0)
            {
                await folder.AddFlagsAsync(Enumerable.Range(0, folder.Count).ToList(), MessageFlags.Deleted, true);
                await folder.ExpungeAsync();
            }
            await folder.CloseAsync();
        }
        await client.DisconnectAsync(true);
    }

    /// <summary>The bytes the server sent in each session that ended since <paramref name="offset"/> of its log.</summary>
    private async Task<List<long>> SessionsSinceAsync(long offset)
    {
        // Dovecot writes the logout line through its log process: give it a moment.
        for (var i = 0; i < 50; i++)
        {
            var lines = await LogSinceAsync(offset);
            var sent = lines.Select(l => LoggedOut().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            if (sent.Count > 0)
            {
                return sent;
            }
            await Task.Delay(100);
        }
        return [];
    }

    private async Task<int> LoginsAsync() => (await LogSinceAsync(0)).Count(l => l.Contains("imap-login: Info: Login:", StringComparison.Ordinal));

    private async Task<List<string>> LogSinceAsync(long offset)
    {
        await using var stream = new FileStream(imap.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return [.. (await reader.ReadToEndAsync()).Split('\n')];
    }

    /// <summary>A confirmed customer agreeing to email advertising.</summary>
    private static async Task<SeededCustomer> SeededAsync(DerbesApp app, string language, string? email = null)
    {
        var customer = Assert.Single(await CustomerSeed.AddAsync(app, 1, _ => false, language));
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (email is not null)
        {
            var db = services.GetRequiredService<DerbesDb>();
            var account = await db.Users.SingleAsync(a => a.Id == customer.Id);
            services.GetRequiredService<Derbes.Web.Customers.AccountDirectory>().Seal(account, new Derbes.Web.Customers.Profile("Айгүл", "Сейітова", email, null));
            await db.SaveChangesAsync();
            customer = customer with { Email = email };
        }
        services.GetRequiredService<ConsentLedger>().Record(customer.Id, ConsentPurpose.AdvertisingEmail, true, 1, language, "advertising by email");
        await services.GetRequiredService<DerbesDb>().SaveChangesAsync();
        return customer;
    }

    private static Task<Campaign> AddCampaignAsync(DerbesApp app)
    {
        var now = app.Clock.GetUtcNow();
        return app.WithDbAsync(async db =>
        {
            var campaign = new Campaign
            {
                Name = "Жаңа жыл",
                Kind = CampaignKind.Advertising,
                Channel = MessageChannel.Email,
                Status = CampaignStatus.Completed,
                CreatedBy = Guid.NewGuid(),
                CreatedAt = now,
                UpdatedAt = now,
                Texts =
                [
                    new CampaignText { Language = "kk", Subject = "Жаңа жылдық жеңілдіктер", Body = "Барлық жемістерге 20% жеңілдік." },
                    new CampaignText { Language = "ru", Subject = "Новогодние скидки", Body = "Скидка 20% на все фрукты." },
                ],
            };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync();
            return campaign;
        });
    }

    /// <summary>The subject a mail client writes from the mailto of the campaign's List-Unsubscribe header to <paramref name="customer"/>.</summary>
    private static async Task<string> MailtoSubjectAsync(DerbesApp app, Campaign campaign, SeededCustomer customer)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var email = scope.ServiceProvider.GetRequiredService<CampaignMessages>().Email(campaign, customer.Id, "kk", "Айгүл", customer.Email, app.Clock.GetUtcNow(), test: false);
        var mailto = email.UnsubscribeMailto!;
        return Uri.UnescapeDataString(mailto[(mailto.IndexOf("?subject=", StringComparison.Ordinal) + "?subject=".Length)..]);
    }

    private static Task<List<ConsentRecord>> LedgerAsync(DerbesApp app, Guid accountId) =>
        app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == accountId).OrderBy(c => c.Id).ToListAsync());

    private static Task<int> WithdrawalAuditsAsync(DerbesApp app, Guid accountId) =>
        app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.changed" && e.Subject == accountId.ToString() && e.Outcome == "AdvertisingEmail:withdrawn"));

    [GeneratedRegex(@"Logged out .*\bout=(\d+)")]
    private static partial Regex LoggedOut();
}

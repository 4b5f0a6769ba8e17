using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Derbes.Web.Calendar;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Campaigns;

/// <summary>
/// Writes a campaign's message for one customer as it leaves the outbox, after checking again that it may go: the
/// campaign is still sending, the window is open, the account is active and the channel's consent is still given
/// (a withdrawal a second before is honoured). Emails are the campaign's Markdown, rendered safe (no raw HTML,
/// allow-listed tags and link schemes) in the site's frame, with the reason the customer receives it, a visible
/// unsubscribe link and the List-Unsubscribe headers (RFC 2369, RFC 8058 one-click); SMS end with the STOP line.
/// </summary>
public sealed class CampaignMessages(
    DerbesDb db,
    AccountDirectory directory,
    UnsubscribeToken tokens,
    Surveys.SurveyToken surveyTokens,
    WorkingCalendarProvider calendars,
    IOptionsMonitor<CampaignOptions> options,
    IOptionsMonitor<SiteOptions> site,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock)
{
    // One instance serves one outbox batch: a campaign is read once per batch, so a pause stops it within a batch.
    private readonly Dictionary<long, Campaign?> _campaigns = [];
    // Every message of a campaign in one language has the same body: rendered (parsed, sanitized) once per batch.
    private readonly Dictionary<string, (string Plain, string Html)> _bodies = new(StringComparer.Ordinal);

    // The batch's accounts and their latest advertising consents, read in two queries as the batch begins (a second
    // before its messages leave) instead of two per message; a message not prefetched reads its own.
    private readonly Dictionary<Guid, Customers.Account> _accounts = [];
    private readonly Dictionary<(Guid, ConsentPurpose), ConsentRecord> _consents = [];
    private readonly HashSet<Guid> _prefetched = [];

    /// <summary>Reads, for the campaign messages of one outbox batch, each recipient's account and latest advertising consents.</summary>
    public async Task PrefetchAsync(IReadOnlyCollection<OutboxMessage> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var ids = batch.Where(m => m.Kind == CampaignSender.Kind).Select(m => m.AccountId).Distinct().ToList();
        if (ids.Count == 0)
        {
            return;
        }
        foreach (var account in await db.Users.AsNoTracking().Where(a => ids.Contains(a.Id)).ToListAsync(cancellationToken))
        {
            _accounts[account.Id] = account;
        }
        var records = await db.ConsentRecords.AsNoTracking()
            .Where(c => ids.Contains(c.AccountId) && (c.Purpose == ConsentPurpose.AdvertisingEmail || c.Purpose == ConsentPurpose.AdvertisingSms))
            .ToListAsync(cancellationToken);
        foreach (var record in records)
        {
            var key = (record.AccountId, record.Purpose);
            if (!_consents.TryGetValue(key, out var seen) || record.Id > seen.Id)
            {
                _consents[key] = record;
            }
        }
        _prefetched.UnionWith(ids);
    }

    public async Task<Composition> ComposeAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = Campaign.IdOf(message.Reference) ?? throw new InvalidOperationException($"Outbox message {message.Id} names no campaign.");
        if (!_campaigns.TryGetValue(id, out var campaign))
        {
            campaign = await db.Campaigns.AsNoTracking().Include(c => c.Texts).SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
            _campaigns[id] = campaign;
        }
        if (campaign is null or { Status: CampaignStatus.Cancelled })
        {
            return Composition.Skip("not sent: the campaign was cancelled");
        }
        if (campaign.Status != CampaignStatus.Sending)
        {
            return Composition.HoldBack;
        }
        var window = new SendWindow(await calendars.CurrentAsync(cancellationToken), options.CurrentValue);
        if (!window.IsOpen(clock.GetUtcNow()))
        {
            return Composition.HoldBack;
        }
        Customers.Account? account;
        ConsentRecord? consent;
        if (_prefetched.Contains(message.AccountId))
        {
            account = _accounts.GetValueOrDefault(message.AccountId);
            consent = _consents.GetValueOrDefault((message.AccountId, campaign.Purpose));
        }
        else
        {
            account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == message.AccountId, cancellationToken);
            consent = await db.ConsentRecords.AsNoTracking()
                .Where(c => c.AccountId == message.AccountId && c.Purpose == campaign.Purpose)
                .OrderByDescending(c => c.Id)
                .FirstOrDefaultAsync(cancellationToken);
        }
        if (CampaignAudience.WhyNot(account, campaign, consent) is { } reason)
        {
            return Composition.Skip(reason);
        }
        var profile = directory.Open(account!);
        return Composition.Send(campaign.Channel == MessageChannel.Sms
            ? Sms(campaign, account!.PreferredLanguage, profile.Phone!, account.Id)
            : Email(campaign, account!.Id, account.PreferredLanguage, profile.FirstName, profile.Email, consent!.At, test: false));
    }

    /// <summary>
    /// The email of <paramref name="campaign"/> to one person in <paramref name="language"/> (the Russian text when
    /// the campaign has none in it). A test (to a member of staff) is marked so in the subject.
    /// </summary>
    public MessagePayload Email(Campaign campaign, Guid accountId, string language, string firstName, string to, DateTimeOffset agreedAt, bool test)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var text = campaign.TextFor(language) ?? throw new InvalidOperationException($"Campaign {campaign.Id} has no text to send.");
        return Languages.In(text.Language, () =>
        {
            var s = site.CurrentValue;
            var link = UnsubscribeLink(accountId, campaign, text.Language);
            var subject = (test ? l["Campaign.TestSubject"].Value + " " : "") + text.Subject;
            var greeting = l["Email.Greeting", firstName].Value;
            var agreed = agreedAt.ToAlmaty().ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);
            var reason = l["Campaign.Email.Reason", s.Name, agreed].Value;
            var stop = l["Campaign.Email.Unsubscribe"].Value;
            var footer = l["Email.Footer", s.Name, s.CareEmail].Value;
            // A survey: the link to its questions, under the text (opens without signing in).
            var survey = campaign.Kind == CampaignKind.Survey ? SurveyLink(accountId, campaign, text.Language) : null;
            var surveyButton = survey is null ? "" : EmailLayout.Button(survey, l["Survey.Email.Button"].Value);
            if (!_bodies.TryGetValue(text.Body, out var body))
            {
                body = (PolicyMarkdown.ToPlainText(text.Body).Trim(), PolicyMarkdown.ToHtml(text.Body));
                _bodies[text.Body] = body;
            }
            var plain = new StringBuilder()
                .AppendLine(greeting).AppendLine()
                .AppendLine(body.Plain).AppendLine()
                .Append(survey is null ? "" : l["Survey.Email.Button"].Value + ": " + survey + Environment.NewLine + Environment.NewLine)
                .AppendLine("-- ").AppendLine(reason)
                .Append(stop).Append(": ").AppendLine(link)
                .AppendLine(footer)
                .ToString();
            var e = HtmlEncoder.Default;
            var content = $"""
                <p>{e.Encode(greeting)}</p>
                {body.Html}
                {surveyButton}
                <p style="margin-top:32px;font-size:13px;color:#4a5a4c">{e.Encode(reason)} <a href="{e.Encode(link)}" style="color:#0a7d3b">{e.Encode(stop)}</a></p>
                """;
            var html = EmailLayout.Document(text.Language, subject, s.Name, content, footer);
            var mailto = "mailto:" + s.CareEmail + "?subject=" + Uri.EscapeDataString("unsubscribe " + tokens.Create(new UnsubscribeClaim(accountId, MessageChannel.Email, campaign.Id)));
            return new MessagePayload(to, subject, plain, html, link, mailto);
        });
    }

    /// <summary>
    /// The SMS of <paramref name="campaign"/> in <paramref name="language"/>, with the STOP line; a survey's SMS to
    /// <paramref name="accountId"/> also carries its link, between the text and the STOP line.
    /// </summary>
    public MessagePayload Sms(Campaign campaign, string language, string phone, Guid? accountId = null)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var text = campaign.TextFor(language) ?? throw new InvalidOperationException($"Campaign {campaign.Id} has no text to send.");
        var body = campaign.Kind == CampaignKind.Survey && accountId is { } id ? text.Body.Trim() + "\n" + SurveyLink(id, campaign, text.Language) : text.Body;
        return new MessagePayload(phone, null, SmsText(body, text.Language), null);
    }

    /// <summary>The link to a survey campaign's questions for one customer, in the language of the text they receive.</summary>
    public string SurveyLink(Guid accountId, Campaign campaign, string language)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var token = surveyTokens.Create(new Surveys.SurveyClaim(accountId, campaign.Id));
        return site.CurrentValue.Link("/survey/" + token + "?lang=" + language);
    }

    /// <summary>What the customer's phone shows: the text, then how to stop these messages.</summary>
    public string SmsText(string body, string language)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body.Trim() + "\n" + Languages.In(language, () => l["Campaign.Sms.Stop"].Value);
    }

    public string UnsubscribeLink(Guid accountId, Campaign campaign, string language)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var token = tokens.Create(new UnsubscribeClaim(accountId, campaign.Channel, campaign.Id));
        return site.CurrentValue.Link("/unsubscribe/" + token + "?lang=" + language);
    }
}

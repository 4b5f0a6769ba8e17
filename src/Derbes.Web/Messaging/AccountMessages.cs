using System.Text;
using System.Text.Encodings.Web;
using Derbes.Web.Customers;
using Derbes.Web.Localization;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Messaging;

/// <summary>
/// Composes the account emails and SMS in the recipient's language and puts them in the outbox. Every
/// value from a person is HTML-encoded in the HTML part; links are built from <see cref="SiteOptions.PublicUrl"/>.
/// The site's details are read at each message (the care email can be changed at /admin/settings).
/// </summary>
public sealed class AccountMessages(Outbox outbox, IStringLocalizer<SharedResource> l, IOptionsMonitor<SiteOptions> site)
{
    public void ConfirmEmail(Account account, Profile profile, string token) =>
        Email(account, profile, "confirm-email", "Email.Confirm.Subject", "Email.Confirm.Body",
            site.CurrentValue.Link("/account/confirm-email?token=" + Uri.EscapeDataString(token)), "Email.Confirm.Button");

    public void PasswordResetLink(Account account, Profile profile, string token) =>
        Email(account, profile, "reset-password", "Email.Reset.Subject", "Email.Reset.Body",
            site.CurrentValue.Link("/account/reset-password?token=" + Uri.EscapeDataString(token)), "Email.Reset.Button");

    public void PasswordChanged(Account account, Profile profile) =>
        Email(account, profile, "password-changed", "Email.PasswordChanged.Subject", "Email.PasswordChanged.Body",
            site.CurrentValue.Link("/account/forgot-password"), "Email.PasswordChanged.Button");

    public void AlreadyRegistered(Account account, Profile profile) =>
        Email(account, profile, "already-registered", "Email.AlreadyRegistered.Subject", "Email.AlreadyRegistered.Body",
            site.CurrentValue.Link("/account/forgot-password"), "Email.AlreadyRegistered.Button");

    public void DocumentsReceived(Account account, Profile profile, int count) =>
        Email(account, profile, "documents-received", "Email.DocumentsReceived.Subject", "Email.DocumentsReceived.Body",
            site.CurrentValue.Link("/cabinet"), "Email.DocumentsReceived.Button", count);

    public void StaffInvitation(Account account, Profile profile, string token) =>
        Email(account, profile, "staff-invitation", "Email.StaffInvitation.Subject", "Email.StaffInvitation.Body",
            site.CurrentValue.Link("/staff/accept?token=" + Uri.EscapeDataString(token)), "Email.StaffInvitation.Button");

    public void DocumentVerified(Account account, Profile profile) =>
        Email(account, profile, "document-verified", "Email.DocumentVerified.Subject", "Email.DocumentVerified.Body",
            site.CurrentValue.Link("/cabinet"), "Email.DocumentsReceived.Button");

    /// <summary>The reason in the customer's language, and the reviewer's note as they wrote it (encoded in HTML).</summary>
    public void DocumentRejected(Account account, Profile profile, Documents.RejectionReason reason, string? note) =>
        Email(account, profile, "document-rejected", "Email.DocumentRejected.Subject", "Email.DocumentRejected.Body",
            site.CurrentValue.Link("/cabinet"), "Email.DocumentsReceived.Button",
            new LocalizedArgument("RejectionReason." + reason), note ?? "—");

    /// <summary>
    /// Tells the customer that their data went to a third party (Art. 19): what, to whom, when and on which basis,
    /// all in their language; the full entry is in their cabinet.
    /// </summary>
    public void DataDisclosed(Account account, Profile profile, Disclosures.Disclosure disclosure)
    {
        ArgumentNullException.ThrowIfNull(disclosure);
        Email(account, profile, "data-disclosed", "Email.DataDisclosed.Subject", "Email.DataDisclosed.Body",
            site.CurrentValue.Link("/cabinet"), "Email.DocumentsReceived.Button",
            new LocalizedList([.. Disclosures.Disclosure.Each(disclosure.Categories).Select(c => "DataCategory." + c)]),
            disclosure.RecipientName,
            disclosure.DisclosedOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture),
            new LocalizedArgument("DisclosureBasis." + disclosure.Basis));
    }

    /// <summary>Tells the customer their data was corrected on their request, quoting its number.</summary>
    public void DataCorrected(Account account, Profile profile, string request) =>
        Email(account, profile, "data-corrected", "Email.DataCorrected.Subject", "Email.DataCorrected.Body",
            site.CurrentValue.Link("/cabinet"), "Email.DocumentsReceived.Button", request);

    /// <summary>
    /// Tells the customer their account is closing: from when their data is destroyed, that signing in before then
    /// undoes it, and, under a retention hold, that it will be blocked instead and why.
    /// </summary>
    public void ClosingStarted(Account account, Profile profile, DateOnly destroyedFrom, string? hold) =>
        Email(account, profile, "closing-started", "Email.ClosingStarted.Subject", hold is null ? "Email.ClosingStarted.Body" : "Email.ClosingStartedHeld.Body",
            site.CurrentValue.Link("/account/login"), "Email.ClosingStarted.Button",
            destroyedFrom.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), hold ?? "");

    public void ClosingCancelled(Account account, Profile profile) =>
        Email(account, profile, "closing-cancelled", "Email.ClosingCancelled.Subject", "Email.ClosingCancelled.Body",
            site.CurrentValue.Link("/cabinet"), "Email.DocumentsReceived.Button");

    /// <summary>The grace period ended but a law requires keeping the data: the account is blocked, with the reason.</summary>
    public void ClosingHeld(Account account, Profile profile, string hold) =>
        Email(account, profile, "closing-held", "Email.ClosingHeld.Subject", "Email.ClosingHeld.Body",
            site.CurrentValue.Link("/privacy"), "Email.ClosingHeld.Button", hold);

    public void PhoneCode(Account account, string phone, string code, string kind) =>
        outbox.Sms(account.Id, kind, phone, Languages.In(account.PreferredLanguage, () => l["Sms.Code", site.CurrentValue.Name, code].Value));

    /// <summary>
    /// The email telling a customer that a new edition of the policy is published, with its summary in their
    /// language and a link to what changed; composed when it is sent (see <see cref="DeferredMessages"/>).
    /// </summary>
    public EmailContent PolicyNotice(Account account, Profile profile, Privacy.PolicyEdition edition)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(edition);
        var text = edition.Text(account.PreferredLanguage) ?? edition.Text(Languages.Kazakh);
        var summary = text is null || text.Summary.Length == 0 ? "—" : text.Summary;
        return Compose(account, profile, "Email.PolicyNotice.Subject", edition.RequiresReconsent ? "Email.PolicyReconsent.Body" : "Email.PolicyNotice.Body",
            site.CurrentValue.Link(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/privacy/editions/{edition.Number}/changes")),
            "Email.PolicyNotice.Button", edition.Number, summary);
    }

    private void Email(Account account, Profile profile, string kind, string subjectKey, string bodyKey, string link, string buttonKey, params object[] extra) =>
        outbox.Email(account.Id, kind, Compose(account, profile, subjectKey, bodyKey, link, buttonKey, extra));

    private EmailContent Compose(Account account, Profile profile, string subjectKey, string bodyKey, string link, string buttonKey, params object[] extra)
    {
        return Languages.In(account.PreferredLanguage, () =>
        {
            var s = site.CurrentValue;
            var greeting = l["Email.Greeting", profile.FirstName].Value;
            var arguments = extra.Select(a => a switch
            {
                LocalizedArgument k => l[k.Key].Value,
                LocalizedList list => string.Join(", ", list.Keys.Select(key => l[key].Value)),
                _ => a,
            });
            var body = l[bodyKey, [.. arguments.Prepend(s.Name)]].Value;
            var button = l[buttonKey].Value;
            var footer = l["Email.Footer", s.Name, s.CareEmail].Value;
            var ignore = l["Email.IgnoreIfNotYou"].Value;
            var subject = l[subjectKey, s.Name].Value;

            var text = new StringBuilder()
                .AppendLine(greeting).AppendLine()
                .AppendLine(body).AppendLine()
                .AppendLine(link).AppendLine()
                .AppendLine(ignore).AppendLine()
                .AppendLine("-- ").AppendLine(footer)
                .ToString();

            var e = HtmlEncoder.Default;
            var html = $"""
                <!doctype html>
                <html lang="{e.Encode(Languages.Current)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{e.Encode(subject)}</title></head>
                <body style="margin:0;padding:0;background:#f4f6f3;font-family:Arial,Helvetica,sans-serif;color:#1d2b1f">
                <table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
                <table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px" cellpadding="0" cellspacing="0">
                <tr><td style="background:#0a7d3b;color:#ffffff;padding:16px 24px;font-size:22px;font-weight:bold;border-radius:8px 8px 0 0">{e.Encode(s.Name)}</td></tr>
                <tr><td style="padding:24px;font-size:16px;line-height:1.5">
                <p>{e.Encode(greeting)}</p>
                <p>{e.Encode(body)}</p>
                <p style="margin:24px 0"><a href="{e.Encode(link)}" style="background:#0a7d3b;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">{e.Encode(button)}</a></p>
                <p style="font-size:13px;color:#4a5a4c;word-break:break-all">{e.Encode(link)}</p>
                <p style="font-size:13px;color:#4a5a4c">{e.Encode(ignore)}</p>
                </td></tr>
                <tr><td style="padding:16px 24px;font-size:12px;color:#4a5a4c;border-top:1px solid #e2e8e0">{e.Encode(footer)}</td></tr>
                </table></td></tr></table></body></html>
                """;
            return new EmailContent(profile.Email, subject, text, html);
        });
    }
}

/// <summary>A message argument that is itself a resource key, translated in the recipient's language.</summary>
internal sealed record LocalizedArgument(string Key);

/// <summary>Several resource keys, translated in the recipient's language and joined with commas.</summary>
internal sealed record LocalizedList(IReadOnlyList<string> Keys);

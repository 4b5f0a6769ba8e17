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

    // The customer's own profile changes (issue 6): the link to a new address, and a notice of every change, to the
    // old address where the address changes. Notices of a done change close with what to do if it was not them.

    /// <summary>The single-use link to the new address; <paramref name="profile"/> carries the new address as its email.</summary>
    public void EmailChangeLink(Account account, Profile profile, string token) =>
        Email(account, profile, "email-change-link", "Email.EmailChangeLink.Subject", "Email.EmailChangeLink.Body",
            site.CurrentValue.Link("/account/confirm-email-change?token=" + Uri.EscapeDataString(token)), "Email.EmailChangeLink.Button");

    /// <summary>To the current address: a change to <paramref name="maskedNew"/> was asked for; nothing changes until the link is opened.</summary>
    public void EmailChangeRequested(Account account, Profile profile, string maskedNew) =>
        Notice(account, profile, "email-change-requested", "Email.EmailChangeRequested.Subject", "Email.EmailChangeRequested.Body",
            site.CurrentValue.Link("/account/forgot-password"), "Email.PasswordChanged.Button", maskedNew);

    /// <summary>To the old address once the change is done.</summary>
    public void EmailChanged(Account account, Profile oldProfile, string maskedNew) =>
        Notice(account, oldProfile, "email-changed", "Email.EmailChanged.Subject", "Email.EmailChanged.Body",
            site.CurrentValue.Link("/account/login"), "Email.ProfileNotice.SignIn", maskedNew);

    /// <summary>To the holder of an address another customer asked to use: neutral, nothing changed, nothing to do.</summary>
    public void EmailAddressInUse(Account holder, Profile profile) =>
        Email(holder, profile, "email-address-in-use", "Email.EmailAddressInUse.Subject", "Email.EmailAddressInUse.Body",
            site.CurrentValue.Link("/account/login"), "Email.ProfileNotice.SignIn");

    public void PhoneChanged(Account account, Profile profile, string maskedNew) =>
        Notice(account, profile, "phone-changed", "Email.PhoneChanged.Subject", "Email.PhoneChanged.Body",
            site.CurrentValue.Link("/cabinet/profile"), "Email.ProfileNotice.Open", maskedNew);

    public void NamesChanged(Account account, Profile profile) =>
        Notice(account, profile, "names-changed", "Email.NamesChanged.Subject", "Email.NamesChanged.Body",
            site.CurrentValue.Link("/cabinet/profile"), "Email.ProfileNotice.Open");

    /// <summary>Written in the newly chosen language, which it names.</summary>
    public void LanguageChanged(Account account, Profile profile) =>
        Notice(account, profile, "language-changed", "Email.LanguageChanged.Subject", "Email.LanguageChanged.Body",
            site.CurrentValue.Link("/cabinet/profile"), "Email.ProfileNotice.Open", new LocalizedArgument("Language." + account.PreferredLanguage));

    /// <summary>A notice of a change already made: "ignore this email" would be wrong advice, so it closes with what to do if it was not them.</summary>
    private void Notice(Account account, Profile profile, string kind, string subjectKey, string bodyKey, string link, string buttonKey, params object[] extra) =>
        outbox.Email(account.Id, kind, ComposeWith(account, profile, subjectKey, bodyKey, link, buttonKey, "Email.ProfileNotice.NotYou", extra));

    /// <summary>
    /// The acknowledgement of a request or complaint: its number, what was asked, when it was received and the date
    /// the answer is due, in the customer's language.
    /// </summary>
    public void RequestReceived(Account account, Profile profile, Requests.CustomerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Email(account, profile, "request-received", "Email.RequestReceived.Subject", "Email.RequestReceived.Body",
            site.CurrentValue.Link("/cabinet/requests"), "Email.RequestReceived.Button",
            request.Number,
            new LocalizedArgument("RequestKind." + request.Kind),
            request.ReceivedOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture),
            request.DueOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture));
    }

    // The staff's work on a request, as the customer is told it (issue 7): a question to answer in the cabinet, a
    // later due date with its reason, a new kind with its shorter term, and the answer itself, in full.
    public void RequestQuestion(Account account, Profile profile, Requests.CustomerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Email(account, profile, "request-question", "Email.RequestQuestion.Subject", "Email.RequestQuestion.Body",
            site.CurrentValue.Link("/cabinet/requests/" + request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "Email.RequestQuestion.Button",
            request.Number, new LocalizedArgument("RequestKind." + request.Kind));
    }

    public void RequestExtended(Account account, Profile profile, Requests.CustomerRequest request, string reason)
    {
        ArgumentNullException.ThrowIfNull(request);
        Email(account, profile, "request-extended", "Email.RequestExtended.Subject", "Email.RequestExtended.Body",
            site.CurrentValue.Link("/cabinet/requests/" + request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "Email.RequestReceived.Button",
            request.Number, request.DueOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), reason);
    }

    public void RequestReclassified(Account account, Profile profile, Requests.CustomerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Email(account, profile, "request-reclassified", "Email.RequestReclassified.Subject", "Email.RequestReclassified.Body",
            site.CurrentValue.Link("/cabinet/requests/" + request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "Email.RequestReceived.Button",
            request.Number, new LocalizedArgument("RequestKind." + request.Kind), request.DueOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture));
    }

    public void RequestAnswered(Account account, Profile profile, Requests.CustomerRequest request, string answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        Email(account, profile, "request-answered", "Email.RequestAnswered.Subject", "Email.RequestAnswered.Body",
            site.CurrentValue.Link("/cabinet/requests/" + request.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "Email.RequestReceived.Button",
            request.Number, new LocalizedArgument("RequestKind." + request.Kind), answer);
    }

    // The cabinet's security page: each change to how the customer signs in is told to them, so a change they
    // did not make (a stolen session, a lost phone) does not go unnoticed. The button opens that page.

    /// <summary>The password was changed in the cabinet: the other devices were signed out, this one was not.</summary>
    public void PasswordChangedInCabinet(Account account, Profile profile) =>
        Email(account, profile, "password-changed", "Email.PasswordChanged.Subject", "Email.PasswordChangedInCabinet.Body",
            site.CurrentValue.Link("/account/forgot-password"), "Email.PasswordChanged.Button");

    public void TwoFactorEnabled(Account account, Profile profile) =>
        Email(account, profile, "two-factor-enabled", "Email.TwoFactorEnabled.Subject", "Email.TwoFactorEnabled.Body",
            site.CurrentValue.Link("/cabinet/security"), "Email.Security.Button");

    public void TwoFactorDisabled(Account account, Profile profile) =>
        Email(account, profile, "two-factor-disabled", "Email.TwoFactorDisabled.Subject", "Email.TwoFactorDisabled.Body",
            site.CurrentValue.Link("/cabinet/security"), "Email.Security.Button");

    public void RecoveryCodesRenewed(Account account, Profile profile) =>
        Email(account, profile, "recovery-codes-renewed", "Email.RecoveryCodesRenewed.Subject", "Email.RecoveryCodesRenewed.Body",
            site.CurrentValue.Link("/cabinet/security"), "Email.Security.Button");

    /// <summary>A recovery code signed someone in instead of the authenticator; <paramref name="left"/> codes remain.</summary>
    public void RecoveryCodeUsed(Account account, Profile profile, int left) =>
        Email(account, profile, "recovery-code-used", "Email.RecoveryCodeUsed.Subject", "Email.RecoveryCodeUsed.Body",
            site.CurrentValue.Link("/cabinet/security"), "Email.Security.Button", left);

    /// <summary>An optional consent (advertising by a channel, transfer to third parties) was given or withdrawn.</summary>
    public void ConsentChanged(Account account, Profile profile, Consents.ConsentPurpose purpose, bool agrees) =>
        Notice(account, profile, "consent-changed", "Email.ConsentChanged.Subject", "Email.ConsentChanged.Body",
            site.CurrentValue.Link("/cabinet/consents"), "Email.ConsentChanged.Button",
            new LocalizedArgument("ConsentPurpose." + purpose), new LocalizedArgument(agrees ? "MyConsents.Agree" : "MyConsents.DoNotAgree"));

    /// <summary>
    /// Tells an affected customer of a personal-data security incident (Art. 22, 25), in their language: what
    /// happened and what was done (the officer's words for customers), which kinds of their data it reached, and
    /// whom to ask; the button opens a new request, where a complaint about it can be filed.
    /// </summary>
    public void BreachNotice(Account account, Profile profile, string number, DateOnly detectedOn, string whatHappened, string whatWasDone, IReadOnlyList<string> categoryKeys) =>
        outbox.Email(account.Id, "breach-notice", ComposeWith(account, profile, "Email.BreachNotice.Subject", "Email.BreachNotice.Body",
            site.CurrentValue.Link("/cabinet/requests/new?kind=Complaint"), "Email.BreachNotice.Button", "Email.BreachNotice.Closing",
            [number, detectedOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture), whatHappened, new LocalizedList(categoryKeys), whatWasDone]));

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

    private EmailContent Compose(Account account, Profile profile, string subjectKey, string bodyKey, string link, string buttonKey, params object[] extra) =>
        ComposeWith(account, profile, subjectKey, bodyKey, link, buttonKey, "Email.IgnoreIfNotYou", extra);

    /// <summary>As <see cref="Compose"/>, with the closing line below the link (what to do if the person did not ask for this) chosen by the caller.</summary>
    private EmailContent ComposeWith(Account account, Profile profile, string subjectKey, string bodyKey, string link, string buttonKey, string closingKey, object[] extra)
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
            var ignore = l[closingKey, s.CareEmail].Value;
            var subject = l[subjectKey, s.Name].Value;

            var text = new StringBuilder()
                .AppendLine(greeting).AppendLine()
                .AppendLine(body).AppendLine()
                .AppendLine(link).AppendLine()
                .AppendLine(ignore).AppendLine()
                .AppendLine("-- ").AppendLine(footer)
                .ToString();

            var e = HtmlEncoder.Default;
            var content = $"""
                <p>{e.Encode(greeting)}</p>
                <p style="white-space:pre-line">{e.Encode(body)}</p>
                {EmailLayout.Button(link, button)}
                <p style="font-size:13px;color:#4a5a4c;word-break:break-all">{e.Encode(link)}</p>
                <p style="font-size:13px;color:#4a5a4c">{e.Encode(ignore)}</p>
                """;
            var html = EmailLayout.Document(Languages.Current, subject, s.Name, content, footer);
            return new EmailContent(profile.Email, subject, text, html);
        });
    }
}

/// <summary>A message argument that is itself a resource key, translated in the recipient's language.</summary>
internal sealed record LocalizedArgument(string Key);

/// <summary>Several resource keys, translated in the recipient's language and joined with commas.</summary>
internal sealed record LocalizedList(IReadOnlyList<string> Keys);

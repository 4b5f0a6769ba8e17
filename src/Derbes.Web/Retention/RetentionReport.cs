using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Retention;

/// <summary>
/// The email that tells a Privacy Officer what a retention run did: per category, how many items were destroyed and
/// how many are past their time but kept (blocked, retention hold), with the link to /admin/retention. Counts only:
/// no customer is named (a mailbox is not the audited staff area). In the officer's language, through the outbox.
/// </summary>
public sealed class RetentionReport(Outbox outbox, IStringLocalizer<SharedResource> l, IOptionsMonitor<SiteOptions> site)
{
    public void Send(Account account, Profile profile, DateTimeOffset finishedAt, IReadOnlyList<RetentionRunCount> counts)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(counts);
        var s = site.CurrentValue;
        var date = finishedAt.ToAlmaty().ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);
        var destroyed = counts.Sum(c => c.Destroyed);
        var held = counts.Sum(c => c.Held);
        var content = Languages.In(account.PreferredLanguage, () =>
        {
            var subject = l["Retention.Email.Subject", s.Name, date, destroyed, held].Value;
            var greeting = l["Email.Greeting", profile.FirstName].Value;
            var lead = l["Retention.Email.Lead", date, destroyed, held].Value;
            var footer = l["Retention.Email.Footer", s.Name].Value;
            var link = s.Link("/admin/retention");
            var e = HtmlEncoder.Default;
            var text = new StringBuilder().AppendLine(greeting).AppendLine().AppendLine(lead).AppendLine();
            var rows = new StringBuilder();
            foreach (var count in counts.OrderBy(c => c.Category))
            {
                var line = l["Retention.Email.Line", l["Retention.Category." + count.Category].Value, count.Destroyed, count.Held].Value;
                text.Append("- ").AppendLine(line);
                rows.Append(CultureInfo.InvariantCulture, $"""<li style="margin:0 0 8px">{e.Encode(line)}</li>""");
            }
            text.AppendLine().AppendLine(link).AppendLine().AppendLine("-- ").AppendLine(footer);
            var html = $"""
                <p>{e.Encode(greeting)}</p>
                <p>{e.Encode(lead)}</p>
                <ul style="padding-left:20px;margin:0">{rows}</ul>
                {EmailLayout.Button(link, l["Retention.Email.Button"].Value)}
                """;
            return new EmailContent(profile.Email, subject, text.ToString(), EmailLayout.Document(Languages.Current, subject, s.Name, html, footer));
        });
        outbox.Email(account.Id, "retention-report", content);
    }
}

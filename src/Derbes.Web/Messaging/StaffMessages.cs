using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Derbes.Web.Customers;
using Derbes.Web.Localization;
using Derbes.Web.Requests;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Messaging;

/// <summary>
/// The emails the site sends to members of staff about their work (issue 7: the daily digest of open requests, the
/// escalation of overdue ones), in the staff member's language and through the outbox. Unlike the account emails
/// they carry lists, each item with its own link into the staff area; and they name requests only by number,
/// kind and dates, never a customer (a mailbox is not the audited staff area).
/// </summary>
public sealed class StaffMessages(Outbox outbox, IStringLocalizer<SharedResource> l, IOptionsMonitor<SiteOptions> site)
{
    /// <summary>The Privacy Officer's digest of the day: the three groups, or that nothing is due.</summary>
    public void RequestDigest(Account account, Profile profile, DateOnly day, RequestDigestGroups groups, int maxListed)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(groups);
        var s = site.CurrentValue;
        var date = Date(day);
        var content = Languages.In(account.PreferredLanguage, () =>
        {
            if (groups.IsEmpty)
            {
                return Compose(profile, l["Email.RequestDigest.NothingSubject", s.Name, date].Value,
                    l["Email.RequestDigest.Nothing", date].Value, [], maxListed);
            }
            return Compose(profile,
                l["Email.RequestDigest.Subject", s.Name, date, groups.Overdue.Count, groups.DueToday.Count, groups.DueSoon.Count].Value,
                l["Email.RequestDigest.Body", date, groups.Overdue.Count, groups.DueToday.Count, groups.DueSoon.Count].Value,
                [
                    (l["Email.RequestDigest.Overdue", groups.Overdue.Count].Value, groups.Overdue.Select(DigestLine).ToList()),
                    (l["Email.RequestDigest.Today", groups.DueToday.Count].Value, groups.DueToday.Select(DigestLine).ToList()),
                    (l["Email.RequestDigest.Soon", groups.DueSoon.Count].Value, groups.DueSoon.Select(DigestLine).ToList()),
                ],
                maxListed);
        });
        outbox.Email(account.Id, "request-digest", content);
    }

    /// <summary>The Administrator's list of the requests open past their due date, with how many working days past.</summary>
    public void RequestEscalation(Account account, Profile profile, DateOnly day, IReadOnlyList<DigestItem> overdue, int maxListed)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(overdue);
        var s = site.CurrentValue;
        var date = Date(day);
        var content = Languages.In(account.PreferredLanguage, () => Compose(profile,
            l["Email.RequestEscalation.Subject", s.Name, overdue.Count, date].Value,
            l["Email.RequestEscalation.Body", date].Value,
            [(l["Email.RequestDigest.Overdue", overdue.Count].Value, overdue.Select(EscalationLine).ToList())],
            maxListed));
        outbox.Email(account.Id, "request-escalation", content);
    }

    /// <summary>"SMALL-2026-000123 · Rectification of data · due 20.03.2026 · not assigned", and its link.</summary>
    private (string Text, string Link) DigestLine(DigestItem item) =>
        (l["Email.RequestDigest.Line", item.Number, l["RequestKind." + item.Kind].Value, Date(item.DueOn), Assignment(item)].Value, Link(item));

    private (string Text, string Link) EscalationLine(DigestItem item) =>
        (l["Email.RequestEscalation.Line", item.Number, l["RequestKind." + item.Kind].Value, Date(item.DueOn), item.WorkingDaysOverdue, Assignment(item)].Value, Link(item));

    private string Assignment(DigestItem item) => l[item.Assigned ? "Email.RequestDigest.Assigned" : "Email.RequestDigest.Unassigned"].Value;

    private string Link(DigestItem item) => site.CurrentValue.Link("/admin/requests/" + item.Id.ToString(CultureInfo.InvariantCulture));

    private static string Date(DateOnly day) => day.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);

    /// <summary>Greeting, lead paragraph, each non-empty group as a heading and a list (at most <paramref name="maxListed"/> each), the button to the list.</summary>
    private EmailContent Compose(Profile profile, string subject, string lead, IReadOnlyList<(string Heading, List<(string Text, string Link)> Lines)> groups, int maxListed)
    {
        var s = site.CurrentValue;
        var greeting = l["Email.Greeting", profile.FirstName].Value;
        var button = l["Email.RequestDigest.Button"].Value;
        var footer = l["Email.StaffFooter", s.Name].Value;
        var list = s.Link("/admin/requests");
        var e = HtmlEncoder.Default;

        var text = new StringBuilder().AppendLine(greeting).AppendLine().AppendLine(lead).AppendLine();
        var html = new StringBuilder();
        foreach (var (heading, lines) in groups.Where(g => g.Lines.Count > 0))
        {
            text.AppendLine(heading);
            html.Append(CultureInfo.InvariantCulture, $"""<h2 style="font-size:17px;margin:20px 0 8px">{e.Encode(heading)}</h2><ul style="padding-left:20px;margin:0">""");
            foreach (var (line, link) in lines.Take(maxListed))
            {
                text.Append("- ").AppendLine(line).Append("  ").AppendLine(link);
                html.Append(CultureInfo.InvariantCulture, $"""<li style="margin:0 0 8px"><a href="{e.Encode(link)}" style="color:#0a7d3b">{e.Encode(line)}</a></li>""");
            }
            if (lines.Count > maxListed)
            {
                var more = l["Email.RequestDigest.More", lines.Count - maxListed].Value;
                text.AppendLine(more);
                html.Append(CultureInfo.InvariantCulture, $"<li>{e.Encode(more)}</li>");
            }
            text.AppendLine();
            html.Append("</ul>");
        }
        text.AppendLine(list).AppendLine().AppendLine("-- ").AppendLine(footer);

        var content = $"""
            <p>{e.Encode(greeting)}</p>
            <p>{e.Encode(lead)}</p>
            {html}
            {EmailLayout.Button(list, button)}
            """;
        var body = EmailLayout.Document(Languages.Current, subject, s.Name, content, footer);
        return new EmailContent(profile.Email, subject, text.ToString(), body);
    }
}

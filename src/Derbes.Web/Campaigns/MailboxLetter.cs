using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Cryptography;

namespace Derbes.Web.Campaigns;

/// <summary>What a letter to the care address asks, as far as opting out goes.</summary>
public enum LetterRequest
{
    /// <summary>Anything else: a letter for the care staff.</summary>
    None,
    /// <summary>Its subject or first line says unsubscribe in words; the sender's address must name the customer.</summary>
    Words,
    /// <summary>Its subject is our List-Unsubscribe mailto's ("unsubscribe TOKEN"): the token names the customer.</summary>
    Token,
}

/// <summary>
/// How <see cref="MailboxOptOuts"/> reads a letter: the words that ask to stop advertising (in English, Russian or
/// Kazakh, any case, after "Re:"/"Fwd:" and around punctuation), the token of our List-Unsubscribe mailto
/// (<c>mailto:care?subject=unsubscribe TOKEN</c>, see <see cref="CampaignMessages"/>), and whether the receiving
/// server found the sender's address forged (Authentication-Results, RFC 8601).
/// </summary>
public static partial class MailboxLetter
{
    /// <summary>The whole request, once normalised: a subject or a first line that says only this.</summary>
    private static readonly string[] Phrases = ["unsubscribe", "отписаться", "отписка", "жазылымнан бас тарту"];

    /// <summary>
    /// Whether <paramref name="subject"/> or <paramref name="firstLine"/> asks to unsubscribe, and with which proof;
    /// <paramref name="claimedToken"/> is the token of a mailto subject (to check with <see cref="UnsubscribeToken"/>).
    /// </summary>
    public static LetterRequest Read(string? subject, string? firstLine, out string? claimedToken)
    {
        claimedToken = null;
        var s = WithoutPrefixes(subject);
        var match = MailtoSubject().Match(s);
        if (match.Success)
        {
            claimedToken = match.Groups[1].Value;
            return LetterRequest.Token;
        }
        return SaysUnsubscribe(s) || SaysUnsubscribe(WithoutPrefixes(firstLine)) ? LetterRequest.Words : LetterRequest.None;
    }

    /// <summary>The first line of a text that is not blank, trimmed ("" when none).</summary>
    public static string FirstLine(string? text)
    {
        foreach (var line in (text ?? "").Split('\n'))
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                return line.Trim();
            }
        }
        return "";
    }

    /// <summary>Exactly one of the phrases, in any case, with any punctuation, symbols or spaces around and one space between its words.</summary>
    private static bool SaysUnsubscribe(string text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && IsNoise(text[start]))
        {
            start++;
        }
        while (end > start && IsNoise(text[end - 1]))
        {
            end--;
        }
        var words = Spaces().Replace(text[start..end], " ").ToLowerInvariant();
        return Phrases.Contains(words, StringComparer.Ordinal);
    }

    private static bool IsNoise(char c) => char.IsPunctuation(c) || char.IsSymbol(c) || char.IsWhiteSpace(c) || char.IsControl(c);

    /// <summary>The text without reply and forward prefixes (Re:, RE[2]:, Fwd:, Ответ:…), trimmed, its runs of spaces made one.</summary>
    private static string WithoutPrefixes(string? text)
    {
        var t = (text ?? "").Normalize(NormalizationForm.FormC).Trim();
        string before;
        do
        {
            before = t;
            t = ReplyPrefix().Replace(t, "").Trim();
        }
        while (t != before);
        return Spaces().Replace(t, " ");
    }

    /// <summary>
    /// Whether the receiving server's Authentication-Results say that a DKIM signature, SPF or DMARC check failed for
    /// the domain of <paramref name="from"/> (a failure about another domain, a list's or a forwarder's, does not
    /// count). Every such header counts, not only the receiving server's own: a header a sender wrote can therefore
    /// only make us refuse, never accept. A header that cannot be parsed counts when it says "=fail" anywhere.
    /// </summary>
    public static bool FailsAuthentication(HeaderList headers, MailboxAddress from)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(from);
        var domain = DomainOf(from.Address);
        foreach (var header in headers.Where(h => h.Id == HeaderId.AuthenticationResults))
        {
            if (!AuthenticationResults.TryParse(header.RawValue, out var results))
            {
                if (AnyFail().IsMatch(Encoding.UTF8.GetString(header.RawValue)))
                {
                    return true;
                }
                continue;
            }
            foreach (var result in results.Results)
            {
                var method = result.Method.ToLowerInvariant();
                if (method is not ("dkim" or "spf" or "dmarc") || !string.Equals(result.Result, "fail", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var about = result.Properties
                    .Where(p => (p.PropertyType + "." + p.Property).ToLowerInvariant() is "header.from" or "header.d" or "header.i" or "smtp.mailfrom")
                    .Select(p => DomainOf(p.Value))
                    .ToList();
                // A failure that names no domain is taken to be about the sender's.
                if (about.Count == 0 || about.Any(d => Related(d, domain)))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return (at >= 0 ? address[(at + 1)..] : address).Trim().TrimEnd('.').ToLowerInvariant();
    }

    /// <summary>The same domain, or one under the other (DMARC's relaxed alignment: mail.small.kz and small.kz).</summary>
    private static bool Related(string a, string b) =>
        a.Length > 0 && b.Length > 0 && (a == b || a.EndsWith("." + b, StringComparison.Ordinal) || b.EndsWith("." + a, StringComparison.Ordinal));

    [GeneratedRegex(@"^(?:re|fw|fwd|aw|wg|sv|vs|tr|ответ|отв|пересл|жауап)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReplyPrefix();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>"unsubscribe" and a run of base64url long enough to be meant as a token (a genuine one is 56 characters).</summary>
    [GeneratedRegex(@"^unsubscribe\s+([A-Za-z0-9_-]{40,})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MailtoSubject();

    [GeneratedRegex(@"\b(?:dkim|spf|dmarc)\s*=\s*fail\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AnyFail();
}

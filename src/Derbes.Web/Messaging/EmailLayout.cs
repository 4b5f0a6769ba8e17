using System.Text.Encodings.Web;

namespace Derbes.Web.Messaging;

/// <summary>
/// The HTML frame every email of the site shares, to customers and to staff: the site's name on a green band, a
/// white card at most 560 px wide (readable on a phone), the footer below. Inline styles only, as mail clients
/// ignore style sheets. The caller writes the card's content, already encoded.
/// </summary>
public static class EmailLayout
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    /// <summary>A primary button to <paramref name="link"/>, encoded.</summary>
    public static string Button(string link, string label) =>
        $"""<p style="margin:24px 0"><a href="{Encoder.Encode(link)}" style="background:#0a7d3b;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">{Encoder.Encode(label)}</a></p>""";

    /// <summary>The whole document: <paramref name="content"/> (HTML, already encoded) inside the frame, in <paramref name="language"/>.</summary>
    public static string Document(string language, string subject, string siteName, string content, string footer) => $"""
        <!doctype html>
        <html lang="{Encoder.Encode(language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{Encoder.Encode(subject)}</title></head>
        <body style="margin:0;padding:0;background:#f4f6f3;font-family:Arial,Helvetica,sans-serif;color:#1d2b1f">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
        <table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px" cellpadding="0" cellspacing="0">
        <tr><td style="background:#0a7d3b;color:#ffffff;padding:16px 24px;font-size:22px;font-weight:bold;border-radius:8px 8px 0 0">{Encoder.Encode(siteName)}</td></tr>
        <tr><td style="padding:24px;font-size:16px;line-height:1.5">
        {content}
        </td></tr>
        <tr><td style="padding:16px 24px;font-size:12px;color:#4a5a4c;border-top:1px solid #e2e8e0">{Encoder.Encode(footer)}</td></tr>
        </table></td></tr></table></body></html>
        """;
}

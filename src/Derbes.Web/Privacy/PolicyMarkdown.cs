using Ganss.Xss;
using Markdig;

namespace Derbes.Web.Privacy;

/// <summary>
/// Turns a policy edition's Markdown into HTML that is safe to show to every customer. Two walls, because the
/// text is written by staff and read by everyone: Markdig with raw HTML disabled (typed tags come out as text),
/// then an allow-list sanitizer, so a link or construct Markdig lets through is still cut to what a policy
/// needs: headings, paragraphs, lists, emphasis, tables, quotes, code, rules and http/https/mailto links.
/// </summary>
public static class PolicyMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseAutoLinks()
        .DisableHtml()
        .Build();

    private static readonly string[] Tags =
    [
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "ul", "ol", "li", "strong", "em", "a",
        "table", "thead", "tbody", "tr", "th", "td", "blockquote", "code", "pre", "hr",
    ];

    // One instance is safe to share: its options are fixed here and Sanitize keeps no state between calls.
    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    /// <summary>The sanitized HTML of <paramref name="markdown"/>.</summary>
    public static string ToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return Sanitizer.Sanitize(Markdown.ToHtml(markdown, Pipeline));
    }

    /// <summary>The text of <paramref name="markdown"/> without its markup, for the plain-text part of an email.</summary>
    public static string ToPlainText(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return Markdown.ToPlainText(markdown, Pipeline);
    }

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer(new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(Tags, StringComparer.OrdinalIgnoreCase),
            // href is the only attribute kept (alignment of table cells comes from CSS, not inline styles).
            AllowedAttributes = new HashSet<string>(["href", "start"], StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(["http", "https", "mailto"], StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(["href"], StringComparer.OrdinalIgnoreCase),
            AllowedCssProperties = new HashSet<string>(StringComparer.OrdinalIgnoreCase),
        });
        // A link from the policy must not hand the opened page a handle on ours (window.opener).
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { LocalName: "a" } link)
            {
                if (string.IsNullOrEmpty(link.GetAttribute("href")))
                {
                    link.RemoveAttribute("href");
                }
                else
                {
                    link.SetAttribute("rel", "noopener noreferrer");
                }
            }
        };
        return sanitizer;
    }
}

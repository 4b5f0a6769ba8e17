using Derbes.Web.Privacy;

namespace Derbes.Tests.Privacy;

public sealed class PolicyMarkdownTests
{
    [Fact]
    public void HeadingsListsEmphasisTablesAndLinksAreRendered()
    {
        var html = PolicyMarkdown.ToHtml("""
            ## 2. Мақсаттар

            - **бірінші** және *екінші*
            - [сайт](https://small.kz) және [хат](mailto:care@small.kz)

            | Мақсат | Негіз |
            |---|---|
            | Қызмет | Келісім |

            > дәйексөз

            ---
            """);
        Assert.Contains("<h2>2. Мақсаттар</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>бірінші</strong>", html, StringComparison.Ordinal);
        Assert.Contains("<em>екінші</em>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://small.kz\" rel=\"noopener noreferrer\">сайт</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"mailto:care@small.kz\" rel=\"noopener noreferrer\">хат</a>", html, StringComparison.Ordinal);
        Assert.Contains("<td>Келісім</td>", html, StringComparison.Ordinal);
        Assert.Contains("<blockquote>", html, StringComparison.Ordinal);
        Assert.Contains("<hr>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>")]
    [InlineData("<style>body{display:none}</style>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>")]
    public void TypedHtmlNeverBecomesMarkup(string typed)
    {
        var html = PolicyMarkdown.ToHtml("Мәтін " + typed + " соңы");
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        // Typed tags survive only as visible text (escaped), never as an element or attribute.
        Assert.DoesNotContain("<a ", html, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("<p>Мәтін &lt;", html, StringComparison.Ordinal);
        Assert.Contains("соңы", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JavaScript:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("[click](vbscript:msgbox)")]
    public void LinksOtherThanHttpHttpsAndMailtoLoseTheirTarget(string markdown)
    {
        var html = PolicyMarkdown.ToHtml(markdown);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("vbscript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("click", html, StringComparison.Ordinal);
    }
}

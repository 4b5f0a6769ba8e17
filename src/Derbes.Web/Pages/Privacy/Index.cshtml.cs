using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Privacy;

/// <summary>The policy: the current edition at /privacy, any edition forever at /privacy/editions/{n}.</summary>
public class IndexModel(DerbesDb db) : PageModel
{
    public PolicyEdition Edition { get; private set; } = null!;
    public PolicyText Text { get; private set; } = null!;
    public int Latest { get; private set; }

    /// <summary>The body as HTML for a Markdown edition (rendered and sanitized); null for a plain one.</summary>
    public string? Html { get; private set; }

    /// <summary>The edition has no text in the reader's language, so the Kazakh one is shown.</summary>
    public bool ShownInKazakhInstead { get; private set; }

    public async Task<IActionResult> OnGetAsync(int? number, CancellationToken cancellationToken)
    {
        Latest = await db.PolicyEditions.MaxAsync(e => (int?)e.Number, cancellationToken) ?? 0;
        var wanted = number ?? Latest;
        var edition = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts)
            .SingleOrDefaultAsync(e => e.Number == wanted, cancellationToken);
        if (edition is null)
        {
            return NotFound();
        }
        Edition = edition;
        Text = edition.Text(Languages.Current) ?? edition.Text(Languages.Kazakh)!;
        ShownInKazakhInstead = Text.Language != Languages.Current;
        Html = Text.Format == PolicyTextFormat.Markdown ? PolicyMarkdown.ToHtml(Text.Body) : null;
        return Page();
    }
}

/// <summary>One edition, forever: published editions never change.</summary>
public sealed class EditionModel(DerbesDb db) : IndexModel(db);

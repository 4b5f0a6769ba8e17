using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Privacy;

/// <summary>
/// What edition n changed from edition n−1 (policy 5.4), in the reader's language, or in Kazakh when either
/// edition lacks that language: the summary written for it, then the text compared word by word. Edition 1 has
/// nothing before it and says so (200, not 404: its address is as real as any other edition's).
/// </summary>
public sealed class ChangesModel(DerbesDb db) : PageModel
{
    public PolicyEdition Edition { get; private set; } = null!;
    public PolicyText Text { get; private set; } = null!;
    public int? Previous { get; private set; }
    public IReadOnlyList<DiffLine> Lines { get; private set; } = [];
    public bool ShownInKazakhInstead { get; private set; }

    public async Task<IActionResult> OnGetAsync(int number, CancellationToken cancellationToken)
    {
        var editions = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts)
            .Where(e => e.Number == number || e.Number == number - 1)
            .ToListAsync(cancellationToken);
        var edition = editions.SingleOrDefault(e => e.Number == number);
        if (edition is null)
        {
            return NotFound();
        }
        Edition = edition;
        var before = editions.SingleOrDefault(e => e.Number == number - 1);
        var language = before is null || (edition.Text(Languages.Current) is not null && before.Text(Languages.Current) is not null)
            ? Languages.Current
            : Languages.Kazakh;
        Text = edition.Text(language) ?? edition.Text(Languages.Kazakh)!;
        ShownInKazakhInstead = Text.Language != Languages.Current;
        if (before is not null)
        {
            Previous = before.Number;
            Lines = PolicyDiff.Compare((before.Text(Text.Language) ?? before.Text(Languages.Kazakh)!).Body, Text.Body);
        }
        return Page();
    }
}

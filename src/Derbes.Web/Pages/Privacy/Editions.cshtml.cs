using Derbes.Web.Data;
using Derbes.Web.Localization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Privacy;

/// <summary>Every edition ever published, newest first, with what each changed (in the reader's language, else Kazakh).</summary>
public sealed class EditionsModel(DerbesDb db) : PageModel
{
    public sealed record Row(int Number, DateTimeOffset PublishedAt, string Summary, string SummaryLanguage);

    public List<Row> Editions { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var editions = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts).ToListAsync(cancellationToken);
        Editions = [.. editions.OrderByDescending(e => e.Number).Select(e =>
        {
            var text = e.Text(Languages.Current) ?? e.Text(Languages.Kazakh);
            return new Row(e.Number, e.PublishedAt, text?.Summary ?? "", text?.Language ?? Languages.Kazakh);
        })];
    }
}

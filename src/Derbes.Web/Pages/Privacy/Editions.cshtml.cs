using Derbes.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Privacy;

public sealed class EditionsModel(DerbesDb db) : PageModel
{
    public List<(int Number, DateTimeOffset PublishedAt)> Editions { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var editions = await db.PolicyEditions.AsNoTracking().Select(e => new { e.Number, e.PublishedAt }).ToListAsync(cancellationToken);
        Editions = [.. editions.OrderByDescending(e => e.Number).Select(e => (e.Number, e.PublishedAt))];
    }
}

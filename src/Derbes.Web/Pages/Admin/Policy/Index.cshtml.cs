using Derbes.Web.Data;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Admin.Policy;

/// <summary>The Privacy Officer's view of the policy (issue 5): every published edition, and the draft of the next one.</summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(DerbesDb db, StaffNames staffNames) : PageModel
{
    public sealed record EditionRow(int Number, DateTimeOffset PublishedAt, string Title, bool RequiresReconsent, string Languages);

    public List<EditionRow> Editions { get; private set; } = [];
    public PolicyDraft? Draft { get; private set; }
    public string DraftEditor { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var editions = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts).ToListAsync(cancellationToken);
        Editions = [.. editions.OrderByDescending(e => e.Number).Select(e => new EditionRow(
            e.Number,
            e.PublishedAt,
            (e.Text(Localization.Languages.Current) ?? e.Text(Localization.Languages.Kazakh))?.Title ?? "",
            e.RequiresReconsent,
            string.Join(", ", e.Texts.Select(t => t.Language).OrderBy(l => Array.IndexOf(Localization.Languages.All, l)))))];
        Draft = await db.PolicyDrafts.AsNoTracking().Include(d => d.Texts).SingleOrDefaultAsync(d => d.Id == PolicyDraft.TheId, cancellationToken);
        if (Draft is not null)
        {
            DraftEditor = (await staffNames.ForAsync([Draft.UpdatedBy], cancellationToken)).GetValueOrDefault(Draft.UpdatedBy, Draft.UpdatedBy);
        }
    }
}

using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Policy;

/// <summary>
/// The draft as customers would read it (rendered and sanitized exactly as the public page will), and the
/// button that publishes it. Publishing takes effect at once (policy 5.4) and publishes the version previewed:
/// if the draft was saved again meanwhile, nothing is published and the new text is shown for review.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class PreviewModel(DerbesDb db, PolicyPublisher publisher, IStringLocalizer<SharedResource> l) : PageModel
{
    public sealed record LanguagePreview(string Language, PolicyDraftText Text, string Html);

    public PolicyDraft? Draft { get; private set; }
    public List<LanguagePreview> Previews { get; private set; } = [];
    public int NextNumber { get; private set; }

    /// <summary>Set when the draft changed (or was published) after the preview this publish came from.</summary>
    public bool Stale { get; private set; }

    [BindProperty]
    public string? Version { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var result = Guid.TryParse(Version, out var version)
            ? await publisher.PublishAsync(version, cancellationToken)
            : new PublishResult(PublishOutcome.Stale);
        switch (result.Outcome)
        {
            case PublishOutcome.Published:
                TempData["Notice"] = "PolicyAdmin.PublishedNotice";
                return Redirect("/admin/policy");
            case PublishOutcome.Incomplete:
                foreach (var (language, field) in result.Missing!)
                {
                    ModelState.AddModelError($"{language}.{field}", l["PolicyAdmin.Missing." + field, l["PolicyAdmin.Language." + language].Value]);
                }
                break;
            default:
                Stale = true;
                break;
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Draft = await db.PolicyDrafts.AsNoTracking().Include(d => d.Texts).SingleOrDefaultAsync(d => d.Id == PolicyDraft.TheId, cancellationToken);
        NextNumber = (await db.PolicyEditions.MaxAsync(e => (int?)e.Number, cancellationToken) ?? 0) + 1;
        if (Draft is null)
        {
            return;
        }
        Version = Draft.Version.ToString();
        Previews = [.. Languages.All.Select(language => Draft.Text(language)).Select(t => new LanguagePreview(t.Language, t, PolicyMarkdown.ToHtml(t.Body)))];
    }
}

using Derbes.Web.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>
/// Changes a draft or scheduled campaign. Guarded by its version: if someone else saved it meanwhile, nothing is
/// changed and what was typed stays on the page. A started campaign cannot be edited (pause or cancel it).
/// </summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class EditModel(CampaignDesk desk, IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public long Id { get; set; }

    [BindProperty]
    public int Version { get; set; }

    [BindProperty]
    public CampaignForm Input { get; set; } = new();

    public CampaignResult? Result { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var campaign = await desk.OpenAsync(Id, cancellationToken);
        if (campaign is null)
        {
            return NotFound();
        }
        if (!campaign.IsEditable)
        {
            return RedirectToPage("/Admin/Campaigns/Details", new { id = Id });
        }
        Version = campaign.Version;
        Input = CampaignForm.Of(campaign);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var problems = new List<CampaignProblem>();
        Result = await desk.UpdateAsync(Id, Version, Input.ToInput(), problems, cancellationToken);
        CampaignForm.Report(ModelState, problems, l);
        if (Result == CampaignResult.NotFound)
        {
            return NotFound();
        }
        if (Result != CampaignResult.Done)
        {
            return Page();
        }
        TempData["Notice"] = "Campaign.Saved";
        return RedirectToPage("/Admin/Campaigns/Details", new { id = Id });
    }
}

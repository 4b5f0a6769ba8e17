using Derbes.Web.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>Marketing writes a new campaign: saved as a draft, nothing sent until it is scheduled or sent from its page.</summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class NewModel(CampaignDesk desk, IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty]
    public CampaignForm Input { get; set; } = new();

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var problems = new List<CampaignProblem>();
        var campaign = ModelState.IsValid ? await desk.CreateAsync(Input.ToInput(), problems, cancellationToken) : null;
        CampaignForm.Report(ModelState, problems, l);
        if (campaign is null)
        {
            return Page();
        }
        TempData["Notice"] = "Campaign.Saved";
        return RedirectToPage("/Admin/Campaigns/Details", new { id = campaign.Id });
    }
}

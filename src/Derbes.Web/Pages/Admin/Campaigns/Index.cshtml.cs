using Derbes.Web.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>Marketing's campaigns, newest first, with their state and figures; no customer is ever named here.</summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class IndexModel(CampaignDesk desk) : PageModel
{
    public List<CampaignRow> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => Rows = await desk.ListAsync(cancellationToken);
}

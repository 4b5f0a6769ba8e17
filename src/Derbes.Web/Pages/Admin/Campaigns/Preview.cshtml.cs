using System.Security.Claims;
using Derbes.Web.Campaigns;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>
/// A campaign's email exactly as a customer of <c>lang</c> will get it, addressed to the member of staff looking at
/// it (their own first name; today as the day of agreement; an unsubscribe link that unsubscribes no one). Served
/// as its own document under a policy that runs no script and loads nothing, framed only by the site's own pages.
/// </summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class PreviewModel(CampaignDesk desk, CampaignMessages messages, DerbesDb db, AccountDirectory directory, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public long Id { get; set; }

    [BindProperty(SupportsGet = true, Name = "lang")]
    public string? Language { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var campaign = await desk.OpenAsync(Id, cancellationToken);
        if (campaign is null || campaign.Channel != MessageChannel.Email || campaign.TextFor(Languages.OrDefault(Language)) is null)
        {
            return NotFound();
        }
        var me = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var staff = await db.Users.AsNoTracking().SingleAsync(a => a.Id == me, cancellationToken);
        var profile = directory.Open(staff);
        var email = messages.Email(campaign, me, Languages.OrDefault(Language), profile.FirstName, profile.Email, clock.GetUtcNow(), test: false);
        Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox";
        Response.Headers.XFrameOptions = "SAMEORIGIN";
        return Content(email.Html!, "text/html; charset=utf-8");
    }
}

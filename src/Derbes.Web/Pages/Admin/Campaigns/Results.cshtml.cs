using Derbes.Web.Campaigns;
using Derbes.Web.Campaigns.Surveys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>
/// A survey's results for Marketing (policy 2.2.4: statistics only): how many answered, the count of each option,
/// the marks 1–5 with their mean, and the free texts without their authors, sorted by their words rather than the
/// order they came in, with no times. Nothing here names or leads to a customer. Opening it is audited.
/// </summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class ResultsModel(Surveys surveys) : PageModel
{
    public SurveyResults Results { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await surveys.ResultsAsync(id, cancellationToken) is not { } results)
        {
            return NotFound();
        }
        Results = results;
        return Page();
    }

    /// <summary>A share of the responses, as the page shows it ("42 %"); "—" before anyone answered.</summary>
    public static string Share(int count, int of) =>
        of == 0 ? "—" : Math.Round(100.0 * count / of).ToString(System.Globalization.CultureInfo.CurrentCulture) + " %";
}

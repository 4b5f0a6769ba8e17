using System.Security.Claims;
using Derbes.Web.Disclosures;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Disclosures;

/// <summary>
/// One disclosure: every field, the customers it concerns (by number), their list as CSV, and, for a
/// confidential one, making it visible to those customers once secrecy is no longer needed. Each look is audited.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class DetailModel(DisclosureRegister register, StaffNames staffNames) : PageModel
{
    public Disclosure Disclosure { get; private set; } = null!;
    public List<DisclosedCustomer> Customers { get; private set; } = [];
    public Dictionary<string, string> StaffNames { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await register.FindAsync(id, cancellationToken) is not { } found)
        {
            return NotFound();
        }
        (Disclosure, Customers) = found;
        StaffNames = await staffNames.ForAsync([Disclosure.RecordedBy, Disclosure.ApprovedBy, Disclosure.ConfidentialityLiftedBy ?? Guid.Empty], cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnGetCustomersAsync(long id, CancellationToken cancellationToken)
    {
        if (await register.ExportCustomersAsync(id, cancellationToken) is not { } csv)
        {
            return NotFound();
        }
        return File(csv, "text/csv; charset=utf-8", $"derbes-disclosure-{id}.csv");
    }

    public async Task<IActionResult> OnPostRevealAsync(long id, CancellationToken cancellationToken)
    {
        var me = Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var staffId) ? staffId : Guid.Empty;
        if (await register.LiftConfidentialityAsync(id, me, cancellationToken))
        {
            TempData["Notice"] = "Disclosures.Revealed";
        }
        return RedirectToPage(new { id });
    }
}

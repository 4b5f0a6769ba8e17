using Derbes.Web.Disclosures;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Disclosures;

/// <summary>
/// The register of disclosures (Art. 22 p.1), filtered by basis, recipient and date, and exported as CSV for the
/// authorized body. Listing and exporting are audited.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(DisclosureRegister register) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public DisclosureBasis? Basis { get; set; }

    [BindProperty(SupportsGet = true)]
    public RecipientKind? Recipient { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? To { get; set; }

    public List<Disclosure> Disclosures { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Disclosures = await register.ListAsync(Filter, cancellationToken);

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken cancellationToken)
    {
        var csv = await register.ExportAsync(Filter, cancellationToken);
        return File(csv, "text/csv; charset=utf-8", "derbes-disclosures.csv");
    }

    private DisclosureFilter Filter => new(
        Basis is { } b && Enum.IsDefined(b) ? b : null,
        Recipient is { } r && Enum.IsDefined(r) ? r : null,
        From,
        To);
}

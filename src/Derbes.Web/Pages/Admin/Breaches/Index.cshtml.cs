using Derbes.Web.Breaches;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Breaches;

/// <summary>
/// The breach register (Art. 22, 25): each incident with its deadline for notifying the authorized body (1 working
/// day from detection, on the working-day calendar) and whether it was met; overdue incidents first. Audited.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(BreachRegister register) : PageModel
{
    public List<BreachRow> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Rows = await register.ListAsync(cancellationToken);
}

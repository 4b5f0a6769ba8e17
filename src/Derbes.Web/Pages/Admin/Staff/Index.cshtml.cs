using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Staff;

/// <summary>Every member of staff with their roles and status (Administrator).</summary>
[Authorize(Roles = StaffRoles.Administrator)]
public sealed class IndexModel(StaffDirectory staff) : PageModel
{
    public List<StaffMember> Members { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => Members = await staff.ListAsync(cancellationToken);
}

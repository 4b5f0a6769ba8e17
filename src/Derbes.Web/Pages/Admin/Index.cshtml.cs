using System.Security.Claims;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Admin;

/// <summary>
/// The staff home. Only staff (a role) reach it, and staff sign in only with their second factor. Every member
/// of staff sees when the data location is unstated or outside Kazakhstan (Art. 12 p.2): whoever notices first
/// can raise it, not only the Administrator who would change it.
/// </summary>
[Authorize(Roles = StaffRoles.AnyStaff)]
public sealed class IndexModel(IOptionsMonitor<SiteOptions> site) : PageModel
{
    public List<string> Roles { get; private set; } = [];

    public SiteOptions Site { get; private set; } = new();

    public void OnGet()
    {
        Roles = [.. User.FindAll(ClaimTypes.Role).Select(c => c.Value)];
        Site = site.CurrentValue;
    }
}

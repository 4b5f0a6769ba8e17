using System.Security.Claims;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin;

/// <summary>The staff home. Only staff (a role) reach it, and staff sign in only with their second factor.</summary>
[Authorize(Roles = StaffRoles.AnyStaff)]
public sealed class IndexModel : PageModel
{
    public List<string> Roles { get; private set; } = [];

    public void OnGet() => Roles = [.. User.FindAll(ClaimTypes.Role).Select(c => c.Value)];
}

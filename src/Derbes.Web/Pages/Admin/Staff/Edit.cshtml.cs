using Derbes.Web.Customers;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Staff;

/// <summary>One member of staff: their roles, and deactivation (Administrator). Never their password.</summary>
[Authorize(Roles = StaffRoles.Administrator)]
public sealed class EditModel(StaffDirectory staff, IStringLocalizer<SharedResource> l) : PageModel
{
    public StaffMember? Member { get; private set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        public List<string> Roles { get; set; } = [];
    }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        Member = await staff.FindAsync(id, cancellationToken);
        if (Member is null)
        {
            return NotFound();
        }
        Input.Roles = [.. Member.Roles];
        return Page();
    }

    public async Task<IActionResult> OnPostRolesAsync(Guid id, CancellationToken cancellationToken) =>
        await ApplyAsync(id, await staff.SetRolesAsync(id, Input.Roles, cancellationToken), "Staff.RolesSaved", cancellationToken);

    public async Task<IActionResult> OnPostDeactivateAsync(Guid id, CancellationToken cancellationToken) =>
        await ApplyAsync(id, await staff.SetActiveAsync(id, active: false, cancellationToken), "Staff.Deactivated", cancellationToken);

    public async Task<IActionResult> OnPostActivateAsync(Guid id, CancellationToken cancellationToken) =>
        await ApplyAsync(id, await staff.SetActiveAsync(id, active: true, cancellationToken), "Staff.Activated", cancellationToken);

    private async Task<IActionResult> ApplyAsync(Guid id, StaffChange result, string notice, CancellationToken cancellationToken)
    {
        switch (result)
        {
            case StaffChange.NotFound:
                return NotFound();
            case StaffChange.Done:
                TempData["Notice"] = notice;
                return RedirectToPage(new { id });
            default:
                // Shown on the page again, with what was chosen kept.
                var chosen = Input.Roles;
                Member = await staff.FindAsync(id, cancellationToken);
                Input.Roles = Request.Form.ContainsKey("Input.Roles") || result == StaffChange.NoRoles ? chosen : [.. Member!.Roles];
                ModelState.AddModelError("Input.Roles", l[result == StaffChange.NoRoles ? "Staff.RolesRequired" : "Staff.LastAdministrator"]);
                return Page();
        }
    }

    public static bool CanDeactivate(StaffMember member) => member.Status is AccountStatus.Active or AccountStatus.Invited;
}

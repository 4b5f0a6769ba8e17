using System.ComponentModel.DataAnnotations;
using Derbes.Web.Customers;
using Derbes.Web.Localization;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Staff;

/// <summary>
/// The Administrator invites a member of staff by email with their roles. The invitee sets their own password
/// and authenticator from the link: nobody ever chooses a password for someone else.
/// </summary>
[Authorize(Roles = StaffRoles.Administrator)]
public sealed class InviteModel(StaffDirectory staff, IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required"), StringLength(100, ErrorMessage = "Validation.TooLong")]
        public string FirstName { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), StringLength(100, ErrorMessage = "Validation.TooLong")]
        public string LastName { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), StringLength(254, ErrorMessage = "Validation.TooLong"), EmailAddress(ErrorMessage = "Validation.Email")]
        public string Email { get; set; } = "";
        public List<string> Roles { get; set; } = [];
        public string Language { get; set; } = Languages.Kazakh;
    }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var email = (Input.Email ?? "").Trim();
        if (email.Length > 0 && ModelState["Input.Email"]?.Errors.Count is null or 0 && !EmailAddresses.IsDeliverable(email))
        {
            ModelState.AddModelError("Input.Email", l["Validation.Email"]);
        }
        if (!Input.Roles.Any(r => StaffRoles.All.Contains(r, StringComparer.Ordinal)))
        {
            ModelState.AddModelError("Input.Roles", l["Staff.RolesRequired"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var (result, id) = await staff.InviteAsync(Input.FirstName.Trim(), Input.LastName.Trim(), email, Input.Roles, Languages.OrDefault(Input.Language), cancellationToken);
        if (result == StaffChange.EmailTaken)
        {
            ModelState.AddModelError("Input.Email", l["Setup.EmailTaken"]);
            return Page();
        }
        TempData["Notice"] = "Staff.Invited";
        return RedirectToPage("/Admin/Staff/Edit", new { id });
    }
}

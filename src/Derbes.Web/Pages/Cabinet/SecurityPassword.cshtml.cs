using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// Changes the password from the cabinet. The current password is asked again (SECURITY-CHECKS 16), and a wrong
/// one counts towards the lockout like a wrong password at sign-in, so a session left open on someone else's
/// phone cannot be used to guess it. The new password follows the registration rules. Every other session ends
/// (a new security stamp refuses their cookies at once), this one goes on, and the customer is told by email.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class SecurityPasswordModel(
    DerbesDb db,
    CustomerSecurity security,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public int MinPasswordLength => options.Value.MinPasswordLength;
    public int RecommendedPasswordLength => options.Value.RecommendedPasswordLength;

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required")]
        [DataType(DataType.Password)]
        public string CurrentPassword { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [DataType(DataType.Password)]
        public string NewPassword { get; set; } = "";
    }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var account = await db.Users.SingleAsync(a => a.Id == id, cancellationToken);
        var result = await security.ChangePasswordAsync(account, Input.CurrentPassword, Input.NewPassword, CustomerSecurity.CurrentSessionId(User), cancellationToken);
        if (result.Current != PasswordRecheck.Right)
        {
            ModelState.AddModelError("Input.CurrentPassword", l[result.Current == PasswordRecheck.Locked ? "Security.Locked" : "Security.WrongPassword"]);
            return Page();
        }
        if (!result.Changed)
        {
            ModelState.AddModelError("Input.NewPassword", l["Password." + result.Problem, MinPasswordLength, options.Value.MaxPasswordBytes]);
            return Page();
        }
        await security.KeepThisSessionAsync(account, User);
        TempData["Notice"] = "Security.Password.Changed";
        return RedirectToPage("Security");
    }
}

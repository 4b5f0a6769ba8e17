using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
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
    AccountDirectory directory,
    Argon2PasswordHasher hasher,
    PasswordRules rules,
    CustomerSecurity security,
    AccountMessages messages,
    AuditTrail audit,
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
        var check = await security.CheckPasswordAsync(account, Input.CurrentPassword, "password.change-failed");
        if (check != PasswordRecheck.Right)
        {
            await db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError("Input.CurrentPassword", l[check == PasswordRecheck.Locked ? "Security.Locked" : "Security.WrongPassword"]);
            return Page();
        }
        var profile = directory.Open(account);
        var problem = rules.Check(Input.NewPassword, PasswordRules.PersonalParts(profile.Email, profile.Phone, profile.FirstName, profile.LastName));
        if (problem != PasswordProblem.None)
        {
            // The right current password still resets the count of wrong ones, as a sign-in would.
            await db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError("Input.NewPassword", l["Password." + problem, MinPasswordLength, options.Value.MaxPasswordBytes]);
            return Page();
        }

        account.PasswordHash = await hasher.HashAsync(Input.NewPassword);
        // A new stamp refuses every other session's cookie at its next request and voids outstanding reset links.
        account.SecurityStamp = Guid.NewGuid().ToString("N");
        var ended = await security.EndOtherSessionsAsync(account.Id, CustomerSecurity.CurrentSessionId(User), cancellationToken);
        messages.PasswordChangedInCabinet(account, profile);
        audit.Record("password.changed", account.Id, "other-sessions-ended:" + ended.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        await security.KeepThisSessionAsync(account, User);
        TempData["Notice"] = "Security.Password.Changed";
        return RedirectToPage("Security");
    }
}

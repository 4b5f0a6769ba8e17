using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Account;

/// <summary>The second step for staff: a code from their authenticator app (TOTP).</summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class LoginTwoFactorModel(
    DerbesDb db,
    StaffAuthenticator authenticator,
    SignInManager<Derbes.Web.Customers.Account> signIn,
    PendingSignIn pending,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Validation.Required")]
    [StringLength(8, ErrorMessage = "Validation.TooLong")]
    public string Code { get; set; } = "";

    public IActionResult OnGet() => pending.Current() is null ? RedirectToPage("Login") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var step = pending.Current();
        if (step is null)
        {
            return RedirectToPage("Login");
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == step.Value.AccountId, cancellationToken);
        var now = clock.GetUtcNow();
        if (account is null || account.LockoutEnd > now || !account.CanSignIn)
        {
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        var code = new string(Code.Where(char.IsAsciiDigit).ToArray());
        if (!await authenticator.VerifyAsync(account, code, cancellationToken))
        {
            account.AccessFailedCount++;
            if (account.AccessFailedCount >= options.Value.MaxFailedSignIns)
            {
                account.LockoutEnd = now + options.Value.LockoutDuration;
                account.AccessFailedCount = 0;
                audit.Record("account.locked", account.Id, "2fa");
            }
            audit.Record("signin.failed", account.Id, "wrong-2fa");
            await db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        account.AccessFailedCount = 0;
        // Both factors are proven: the entry names the member of staff and the roles they sign in with.
        audit.Record("signin.succeeded", account.Id, "2fa", actor: account.Id.ToString(), role: await audit.RoleOfAsync(account, cancellationToken));
        pending.End();
        await LoginModel.SignInAsync(db, signIn, account, step.Value.Remember, options.Value, now, HttpContext);
        return LocalRedirect(DerbesPipeline.IsLocal(step.Value.ReturnUrl) ? step.Value.ReturnUrl! : "/admin");
    }
}

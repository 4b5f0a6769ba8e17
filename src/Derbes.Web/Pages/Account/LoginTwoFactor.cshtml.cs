using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
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

/// <summary>
/// The second step for staff, and for customers who turned two-step sign-in on: a code from their authenticator
/// app (TOTP). A customer without their phone may use one of their recovery codes instead, each once.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class LoginTwoFactorModel(
    DerbesDb db,
    StaffAuthenticator authenticator,
    RecoveryCodes recovery,
    CustomerSecurity security,
    AccountDirectory directory,
    AccountMessages messages,
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

    [BindProperty]
    [StringLength(16, ErrorMessage = "Validation.TooLong")]
    public string? RecoveryCode { get; set; }

    /// <summary>Customers may use a recovery code; staff have none (their administrator resets their authenticator).</summary>
    public bool OffersRecovery { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (pending.Current() is not { } step)
        {
            return RedirectToPage("Login");
        }
        OffersRecovery = await IsCustomerAsync(step.AccountId, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var step = pending.Current();
        if (step is null)
        {
            return RedirectToPage("Login");
        }
        OffersRecovery = await IsCustomerAsync(step.Value.AccountId, cancellationToken);
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == step.Value.AccountId, cancellationToken);
        var now = clock.GetUtcNow();
        if (account is null || Lockout.IsLocked(account, now) || !account.CanSignIn)
        {
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        var code = new string(Code.Where(char.IsAsciiDigit).ToArray());
        if (!await authenticator.VerifyAsync(account, code, cancellationToken))
        {
            security.RecordFailure(account, "signin.failed", "wrong-2fa");
            await db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        account.AccessFailedCount = 0;
        // Both factors are proven: the entry names the person and the roles they sign in with.
        audit.Record("signin.succeeded", account.Id, "2fa", actor: account.Id.ToString(), role: await audit.RoleOfAsync(account, cancellationToken));
        pending.End();
        await LoginModel.SignInAsync(db, signIn, account, step.Value.Remember, options.Value, now, HttpContext);
        return LocalRedirect(DerbesPipeline.IsLocal(step.Value.ReturnUrl) ? step.Value.ReturnUrl! : Home(account));
    }

    /// <summary>
    /// A recovery code instead of the authenticator's: it works once (the stored list loses it in the same
    /// transaction as the sign-in), a wrong one counts towards the lockout, and the customer is told by email.
    /// </summary>
    public async Task<IActionResult> OnPostRecoveryAsync(CancellationToken cancellationToken)
    {
        var step = pending.Current();
        if (step is null)
        {
            return RedirectToPage("Login");
        }
        ModelState.Remove(nameof(Code));
        OffersRecovery = await IsCustomerAsync(step.Value.AccountId, cancellationToken);
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == step.Value.AccountId, cancellationToken);
        var now = clock.GetUtcNow();
        if (account is null || account.Kind != AccountKind.Customer || Lockout.IsLocked(account, now) || !account.CanSignIn)
        {
            ModelState.AddModelError(nameof(RecoveryCode), l["TwoFactor.Invalid"]);
            return Page();
        }
        // The code is spent in the sign-in's transaction, opened under the chain lock as its audit entries are saved
        // in it (see DerbesDb.WithChainLockAsync).
        var left = await db.WithChainLockAsync(async ct =>
        {
            var remaining = await recovery.RedeemAsync(account.Id, RecoveryCode, ct);
            if (remaining is null)
            {
                security.RecordFailure(account, "signin.failed", "wrong-recovery-code");
                await db.SaveChangesAsync(ct);
                return remaining;
            }
            account.AccessFailedCount = 0;
            audit.Record("signin.succeeded", account.Id, "recovery-code", actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
            audit.Record("2fa.recovery-code-used", account.Id, "left:" + remaining.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
            messages.RecoveryCodeUsed(account, directory.Open(account), remaining.Value);
            pending.End();
            await LoginModel.SignInAsync(db, signIn, account, step.Value.Remember, options.Value, now, HttpContext);
            return remaining;
        }, cancellationToken);
        if (left is null)
        {
            ModelState.AddModelError(nameof(RecoveryCode), l["TwoFactor.Invalid"]);
            return Page();
        }
        return LocalRedirect(DerbesPipeline.IsLocal(step.Value.ReturnUrl) ? step.Value.ReturnUrl! : Home(account));
    }

    private static string Home(Derbes.Web.Customers.Account account) => account.Kind == AccountKind.Staff ? "/admin" : "/cabinet";

    private Task<bool> IsCustomerAsync(Guid accountId, CancellationToken cancellationToken) =>
        db.Users.AnyAsync(a => a.Id == accountId && a.Kind == AccountKind.Customer, cancellationToken);
}

using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// Optional two-step sign-in for customers with an authenticator app (TOTP, the staff's own checks with replay
/// protection). Turning it on: scan the key, prove it with a first code, then see ten one-time recovery codes,
/// once. New recovery codes need the password; turning it off needs the password and a code. Every step is
/// audited and told to the customer by email.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class SecurityTwoFactorModel(
    DerbesDb db,
    AccountDirectory directory,
    PersonalDataVault vault,
    StaffAuthenticator authenticator,
    RecoveryCodes recovery,
    CustomerSecurity security,
    AccountMessages messages,
    AuditTrail audit,
    IDataProtectionProvider protection,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    // Forms on this page carry different fields; none is required by an attribute, each handler checks its own.

    /// <summary>The key being enrolled, protected (and bound to this account) so it can travel in the form.</summary>
    [BindProperty]
    public string ProtectedKey { get; set; } = "";

    [BindProperty]
    public string? Code { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public bool Enabled { get; private set; }
    public string Key { get; private set; } = "";
    public string QrDataUri { get; private set; } = "";
    public int CodesLeft { get; private set; }

    /// <summary>The form whose errors are shown ("codes" or "disable"): both ask for the password.</summary>
    public string? Form { get; private set; }

    /// <summary>New recovery codes, shown in this one response and never again.</summary>
    public string[]? NewCodes { get; private set; }

    public override async Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context, Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        // Staff must keep their second factor (SECURITY-CHECKS 26): it is not theirs to turn off or weaken here.
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        if (!await db.Users.AnyAsync(a => a.Id == id && a.Kind == AccountKind.Customer, HttpContext.RequestAborted))
        {
            context.Result = NotFound();
            return;
        }
        await next();
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        await ShowAsync(account, StaffAuthenticator.NewKey(), cancellationToken);
    }

    public async Task<IActionResult> OnPostEnableAsync(CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (account.TwoFactorEnabled)
        {
            return RedirectToPage();
        }
        string key;
        try
        {
            key = Protector(account.Id).Unprotect(ProtectedKey);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // A form from another account or an old one: start again with a new key.
            await ShowAsync(account, StaffAuthenticator.NewKey(), cancellationToken);
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        if (!StaffAuthenticator.VerifyEnrolment(key, Code, clock.GetUtcNow(), out var step))
        {
            audit.Record("2fa.enable-failed", account.Id, "wrong-code");
            await db.SaveChangesAsync(cancellationToken);
            await ShowAsync(account, key, cancellationToken);
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        await authenticator.RemoveAsync(account.Id, cancellationToken);
        db.UserTokens.AddRange(StaffAuthenticator.Enrol(vault, account.Id, key, step));
        account.TwoFactorEnabled = true;
        NewCodes = await recovery.ReplaceAsync(account.Id, cancellationToken);
        messages.TwoFactorEnabled(account, directory.Open(account));
        audit.Record("2fa.enabled", account.Id);
        await db.SaveChangesAsync(cancellationToken);
        await ShowAsync(account, null, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRecoveryCodesAsync(CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (!account.TwoFactorEnabled)
        {
            return RedirectToPage();
        }
        Form = "codes";
        if (!await PasswordIsRightAsync(account, "2fa.recovery-codes-failed", cancellationToken))
        {
            await ShowAsync(account, null, cancellationToken);
            return Page();
        }
        NewCodes = await recovery.ReplaceAsync(account.Id, cancellationToken);
        messages.RecoveryCodesRenewed(account, directory.Open(account));
        audit.Record("2fa.recovery-codes-renewed", account.Id);
        await db.SaveChangesAsync(cancellationToken);
        await ShowAsync(account, null, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(CancellationToken cancellationToken)
    {
        var account = await AccountAsync(cancellationToken);
        if (!account.TwoFactorEnabled)
        {
            return RedirectToPage();
        }
        Form = "disable";
        if (!await PasswordIsRightAsync(account, "2fa.disable-failed", cancellationToken))
        {
            await ShowAsync(account, null, cancellationToken);
            return Page();
        }
        // The authenticator's code, or a recovery code for someone whose phone is gone.
        var digits = new string([.. (Code ?? "").Where(char.IsAsciiDigit)]);
        var proven = RecoveryCodes.Normalise(Code).Length == 10
            ? await recovery.RedeemAsync(account.Id, Code, cancellationToken) is not null
            : await authenticator.VerifyAsync(account, digits, cancellationToken);
        if (!proven)
        {
            security.RecordFailure(account, "2fa.disable-failed", "wrong-code");
            await db.SaveChangesAsync(cancellationToken);
            await ShowAsync(account, null, cancellationToken);
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        await authenticator.RemoveAsync(account.Id, cancellationToken);
        await recovery.RemoveAsync(account.Id, cancellationToken);
        account.TwoFactorEnabled = false;
        messages.TwoFactorDisabled(account, directory.Open(account));
        audit.Record("2fa.disabled", account.Id);
        await db.SaveChangesAsync(cancellationToken);
        TempData["Notice"] = "Security.TwoFactor.Disabled";
        return RedirectToPage("Security");
    }

    private async Task<bool> PasswordIsRightAsync(Derbes.Web.Customers.Account account, string failedAction, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Password))
        {
            ModelState.AddModelError(nameof(Password), l["Validation.Required"]);
            return false;
        }
        var check = await security.CheckPasswordAsync(account, Password, failedAction);
        if (check == PasswordRecheck.Right)
        {
            return true;
        }
        await db.SaveChangesAsync(cancellationToken);
        ModelState.AddModelError(nameof(Password), l[check == PasswordRecheck.Locked ? "Security.Locked" : "Security.WrongPassword"]);
        return false;
    }

    private async Task ShowAsync(Derbes.Web.Customers.Account account, string? key, CancellationToken cancellationToken)
    {
        Enabled = account.TwoFactorEnabled;
        if (Enabled)
        {
            CodesLeft = NewCodes?.Length ?? await recovery.RemainingAsync(account.Id, cancellationToken);
            return;
        }
        Key = key ?? StaffAuthenticator.NewKey();
        ProtectedKey = Protector(account.Id).Protect(Key);
        QrDataUri = StaffAuthenticator.QrDataUri(Key, account.UserName ?? "");
    }

    private IDataProtector Protector(Guid accountId) =>
        protection.CreateProtector("Derbes.Customer.AuthenticatorKey", accountId.ToString("N"));

    private Task<Derbes.Web.Customers.Account> AccountAsync(CancellationToken cancellationToken)
    {
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        return db.Users.SingleAsync(a => a.Id == id, cancellationToken);
    }
}

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

namespace Derbes.Web.Pages.Account;

/// <summary>The six-digit SMS code that proves the phone number (10 minutes, 5 tries, resend after a cool-down).</summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class VerifyPhoneModel(
    DerbesDb db,
    AccountTokens tokens,
    AccountDirectory directory,
    AccountMessages messages,
    AuditTrail audit,
    PendingRegistration pending,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Validation.Required")]
    [StringLength(12, ErrorMessage = "Validation.TooLong")]
    public string Code { get; set; } = "";

    public bool Verified { get; private set; }
    public string? Message { get; private set; }

    public IActionResult OnGet() => AccountId() is null ? RedirectToPage("Login") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var id = AccountId();
        if (id is null)
        {
            return RedirectToPage("Login");
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null || account.SealedPhone is null)
        {
            // The cookie of a registration that did not create an account: the same answer as a wrong code.
            ModelState.AddModelError(nameof(Code), l["Code.Invalid"]);
            return Page();
        }
        var check = await tokens.RedeemCodeAsync(account, TokenPurpose.ConfirmPhone, Code, cancellationToken);
        if (check != TokenCheck.Valid)
        {
            audit.Record("phone.confirm-failed", account.Id, check.ToString());
            await db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError(nameof(Code), l["Code." + check]);
            return Page();
        }
        account.PhoneNumberConfirmed = true;
        audit.Record("phone.confirmed", account.Id);
        await db.SaveChangesAsync(cancellationToken);
        Verified = true;
        return Page();
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken cancellationToken)
    {
        ModelState.Clear();
        var id = AccountId();
        if (id is null)
        {
            return RedirectToPage("Login");
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        Message = "Code.Resent";
        if (account is null || account.SealedPhone is null || account.PhoneNumberConfirmed)
        {
            return Page();
        }
        var last = await tokens.LastIssuedAsync(account.Id, TokenPurpose.ConfirmPhone, cancellationToken);
        var wait = last + options.Value.PhoneCodeResendCooldown - clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            Message = null;
            ModelState.AddModelError(nameof(Code), l["Code.Cooldown", (int)Math.Ceiling(wait.Value.TotalSeconds)]);
            return Page();
        }
        var profile = directory.Open(account);
        var code = await tokens.IssueCodeAsync(account, TokenPurpose.ConfirmPhone, options.Value.PhoneCodeLifetime, options.Value.PhoneCodeMaxAttempts, cancellationToken);
        messages.PhoneCode(account, profile.Phone!, code, "confirm-phone");
        audit.Record("phone.code-resent", account.Id);
        await db.SaveChangesAsync(cancellationToken);
        return Page();
    }

    private Guid? AccountId()
    {
        if (User.Identity?.IsAuthenticated == true && Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var signedIn))
        {
            return signedIn;
        }
        return pending.Current();
    }
}

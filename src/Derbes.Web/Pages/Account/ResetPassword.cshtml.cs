using System.ComponentModel.DataAnnotations;
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

/// <summary>
/// Sets a new password with a reset link (token in the URL) or an SMS code. The token is single-use, lives
/// 60 minutes and dies with any password change. A reset signs out every session, does not sign in, and
/// sends a "your password was changed" email (SECURITY-CHECKS 18–20).
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class ResetPasswordModel(
    DerbesDb db,
    AccountTokens tokens,
    AccountDirectory directory,
    Argon2PasswordHasher hasher,
    PasswordRules rules,
    AccountMessages messages,
    AuditTrail audit,
    PendingReset pending,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Via { get; set; }

    [BindProperty]
    [StringLength(12, ErrorMessage = "Validation.TooLong")]
    public string? Code { get; set; }

    [BindProperty]
    [Required(ErrorMessage = "Validation.Required")]
    [DataType(DataType.Password)]
    public string Password { get; set; } = "";

    public bool ByCode => Via == "code";
    public TokenCheck? LinkState { get; private set; }
    public int MinPasswordLength => options.Value.MinPasswordLength;
    public int RecommendedPasswordLength => options.Value.RecommendedPasswordLength;

    public override void OnPageHandlerExecuting(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context)
    {
        // The token is in the URL: it must not leak through the Referer header (no cache keeps it: SecurityHeaders.UsePrivateByDefault).
        Response.Headers["Referrer-Policy"] = "no-referrer";
        Response.Headers.Pragma = "no-cache";
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (ByCode)
        {
            return pending.Current() is null ? RedirectToPage("ForgotPassword") : Page();
        }
        (LinkState, _) = await tokens.RedeemLinkAsync(Token, TokenPurpose.ResetPasswordLink, consume: false, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Derbes.Web.Customers.Account? account;
        if (ByCode)
        {
            var id = pending.Current();
            if (id is null)
            {
                return RedirectToPage("ForgotPassword");
            }
            if (!ModelState.IsValid)
            {
                return Page();
            }
            account = await db.Users.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
            var check = account is null ? TokenCheck.Invalid : await tokens.RedeemCodeAsync(account, TokenPurpose.ResetPasswordCode, Code, cancellationToken);
            if (check != TokenCheck.Valid)
            {
                if (account is not null)
                {
                    audit.Record("password.reset-failed", account.Id, check.ToString());
                    await db.SaveChangesAsync(cancellationToken);
                }
                ModelState.AddModelError(nameof(Code), l["Code." + check]);
                return Page();
            }
        }
        else
        {
            if (!ModelState.IsValid)
            {
                (LinkState, _) = await tokens.RedeemLinkAsync(Token, TokenPurpose.ResetPasswordLink, consume: false, cancellationToken);
                return Page();
            }
            (LinkState, account) = await tokens.RedeemLinkAsync(Token, TokenPurpose.ResetPasswordLink, consume: true, cancellationToken);
            if (LinkState != TokenCheck.Valid || account is null)
            {
                return Page();
            }
        }

        var profile = directory.Open(account!);
        var problem = rules.Check(Password, PasswordRules.PersonalParts(profile.Email, profile.Phone, profile.FirstName, profile.LastName));
        if (problem != PasswordProblem.None)
        {
            // The token stays usable: nothing is saved, so the customer can choose another password.
            db.ChangeTracker.Clear();
            LinkState = TokenCheck.Valid;
            ModelState.AddModelError(nameof(Password), l["Password." + problem, MinPasswordLength, options.Value.MaxPasswordBytes]);
            return Page();
        }

        account!.PasswordHash = await hasher.HashAsync(Password);
        // A new stamp ends every session and voids every other outstanding token.
        account.SecurityStamp = Guid.NewGuid().ToString("N");
        account.AccessFailedCount = 0;
        account.LockoutEnd = null;
        var now = clock.GetUtcNow();
        await db.Sessions.Where(s => s.AccountId == account.Id && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
        messages.PasswordChanged(account, profile);
        audit.Record("password.reset", account.Id, ByCode ? "sms" : "email");
        await db.SaveChangesAsync(cancellationToken);
        pending.End();
        TempData["Notice"] = "Reset.Done";
        return RedirectToPage("Login");
    }
}

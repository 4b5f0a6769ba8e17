using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Setup;

/// <summary>
/// The first administrator creates their account from the one-time link printed at first start, and sets
/// up TOTP in the same step: there is never an administrator without a second factor, nor a default password.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class IndexModel(
    DerbesDb db,
    PersonalDataVault vault,
    AccountDirectory directory,
    Argon2PasswordHasher hasher,
    PasswordRules rules,
    AuditTrail audit,
    IDataProtectionProvider protection,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    private readonly IDataProtector _protector = protection.CreateProtector("Derbes.Setup.AuthenticatorKey");

    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public string ProtectedKey { get; set; } = "";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public bool LinkValid { get; private set; }
    public string Key { get; private set; } = "";
    public string QrDataUri { get; private set; } = "";

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required"), StringLength(100, ErrorMessage = "Validation.TooLong")]
        public string FirstName { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), StringLength(100, ErrorMessage = "Validation.TooLong")]
        public string LastName { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), StringLength(254, ErrorMessage = "Validation.TooLong"), EmailAddress(ErrorMessage = "Validation.Email")]
        public string Email { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), DataType(DataType.Password)]
        public string Password { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), StringLength(8, ErrorMessage = "Validation.TooLong")]
        public string Code { get; set; } = "";
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Response.Headers["Referrer-Policy"] = "no-referrer";
        LinkValid = await FindTokenAsync(cancellationToken) is not null;
        if (LinkValid)
        {
            Show(StaffAuthenticator.NewKey());
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Response.Headers["Referrer-Policy"] = "no-referrer";
        var token = await FindTokenAsync(cancellationToken);
        LinkValid = token is not null;
        if (token is null)
        {
            return Page();
        }
        string key;
        try
        {
            key = _protector.Unprotect(ProtectedKey);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            key = StaffAuthenticator.NewKey();
            ModelState.AddModelError("Input.Code", l["TwoFactor.Invalid"]);
        }
        Show(key);
        var email = Input.Email.Trim();
        if (email.Length > 0 && ModelState["Input.Email"]?.Errors.Count is null or 0 && !EmailAddresses.IsDeliverable(email))
        {
            ModelState.AddModelError("Input.Email", l["Validation.Email"]);
        }
        var problem = rules.Check(Input.Password, PasswordRules.PersonalParts(email, null, Input.FirstName, Input.LastName));
        if (problem != PasswordProblem.None)
        {
            ModelState.AddModelError("Input.Password", l["Password." + problem, options.Value.MinPasswordLength, options.Value.MaxPasswordBytes]);
        }
        if (!StaffAuthenticator.VerifyEnrolment(key, Input.Code, clock.GetUtcNow(), out var step))
        {
            ModelState.AddModelError("Input.Code", l["TwoFactor.Invalid"]);
        }
        if (await directory.FindByEmailAsync(email, cancellationToken) is not null)
        {
            ModelState.AddModelError("Input.Email", l["Setup.EmailTaken"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var now = clock.GetUtcNow();
        var account = Derbes.Web.Customers.Account.NewStaff(now, Localization.Languages.Current);
        account.ActivateStaff(now);
        vault.CreateKey(account.Id);
        directory.Seal(account, new Profile(Input.FirstName.Trim(), Input.LastName.Trim(), email, null));
        account.PasswordHash = await hasher.HashAsync(Input.Password);
        db.Users.Add(account);
        db.UserTokens.AddRange(StaffAuthenticator.Enrol(vault, account.Id, key, step));
        var role = await db.Roles.SingleAsync(r => r.Name == StaffRoles.Administrator, cancellationToken);
        db.UserRoles.Add(new IdentityUserRole<Guid> { UserId = account.Id, RoleId = role.Id });
        token.UsedAt = now;
        token.AccountId = account.Id;
        audit.Record("staff.first-administrator-created", account.Id, actor: account.Id.ToString(), role: StaffRoles.Administrator);
        await db.SaveChangesAsync(cancellationToken);
        TempData["Notice"] = "Setup.Done";
        return RedirectToPage("/Account/Login");
    }

    private void Show(string key)
    {
        Key = key;
        ProtectedKey = _protector.Protect(key);
        QrDataUri = StaffAuthenticator.QrDataUri(key, "administrator");
    }

    private async Task<AccountToken?> FindTokenAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Token) || Token.Length > 128 || await StaffSetup.AdministratorExistsAsync(db, cancellationToken))
        {
            return null;
        }
        var hash = SecretToken.Hash(Token);
        var now = clock.GetUtcNow();
        return await db.AccountTokens.SingleOrDefaultAsync(
            t => t.TokenHash == hash && t.Purpose == TokenPurpose.StaffSetup && t.UsedAt == null && t.ExpiresAt > now, cancellationToken);
    }
}

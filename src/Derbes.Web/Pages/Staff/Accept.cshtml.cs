using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Staff;

/// <summary>
/// An invited member of staff opens the emailed link, chooses their password and enrols their authenticator in
/// one step: the account becomes active only with both, so no member of staff ever works without a second factor.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class AcceptModel(
    DerbesDb db,
    AccountTokens tokens,
    AccountDirectory directory,
    PersonalDataVault vault,
    Argon2PasswordHasher hasher,
    PasswordRules rules,
    AuditTrail audit,
    IDataProtectionProvider protection,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    private readonly IDataProtector _protector = protection.CreateProtector("Derbes.Staff.AuthenticatorKey");

    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public string ProtectedKey { get; set; } = "";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public bool LinkValid { get; private set; }
    public string FirstName { get; private set; } = "";
    public string Key { get; private set; } = "";
    public string QrDataUri { get; private set; } = "";

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required"), DataType(DataType.Password)]
        public string Password { get; set; } = "";
        [Required(ErrorMessage = "Validation.Required"), StringLength(8, ErrorMessage = "Validation.TooLong")]
        public string Code { get; set; } = "";
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        var (check, account) = await tokens.RedeemLinkAsync(Token, TokenPurpose.StaffInvitation, consume: false, cancellationToken);
        LinkValid = check == TokenCheck.Valid && account is { Kind: AccountKind.Staff, Status: AccountStatus.Invited };
        if (LinkValid)
        {
            FirstName = directory.Open(account!).FirstName;
            Show(StaffAuthenticator.NewKey());
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        var (check, account) = await tokens.RedeemLinkAsync(Token, TokenPurpose.StaffInvitation, consume: false, cancellationToken);
        LinkValid = check == TokenCheck.Valid && account is { Kind: AccountKind.Staff, Status: AccountStatus.Invited };
        if (!LinkValid)
        {
            return Page();
        }
        var profile = directory.Open(account!);
        FirstName = profile.FirstName;
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
        var problem = rules.Check(Input.Password, PasswordRules.PersonalParts(profile.Email, null, profile.FirstName, profile.LastName));
        if (problem != PasswordProblem.None)
        {
            ModelState.AddModelError("Input.Password", l["Password." + problem, options.Value.MinPasswordLength, options.Value.MaxPasswordBytes]);
        }
        var now = clock.GetUtcNow();
        if (!StaffAuthenticator.VerifyEnrolment(key, Input.Code, now, out var step))
        {
            ModelState.AddModelError("Input.Code", l["TwoFactor.Invalid"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Used up now, in the same save as the account it activates.
        await tokens.RedeemLinkAsync(Token, TokenPurpose.StaffInvitation, consume: true, cancellationToken);
        var staff = account!;
        staff.PasswordHash = await hasher.HashAsync(Input.Password);
        staff.ActivateStaff(now);
        staff.SecurityStamp = Guid.NewGuid().ToString("N");
        db.UserTokens.AddRange(StaffAuthenticator.Enrol(vault, staff.Id, key, step));
        audit.Record("staff.invitation-accepted", staff.Id, actor: staff.Id.ToString(), role: await audit.RoleOfAsync(staff, cancellationToken));
        await db.SaveChangesAsync(cancellationToken);
        TempData["Notice"] = "Staff.Accepted";
        return RedirectToPage("/Account/Login");
    }

    private void NoTraces()
    {
        // The link carries a secret: keep it out of other sites' logs (no cache keeps it: SecurityHeaders.UsePrivateByDefault).
        Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private void Show(string key)
    {
        Key = key;
        ProtectedKey = _protector.Protect(key);
        QrDataUri = StaffAuthenticator.QrDataUri(key, "staff");
    }
}

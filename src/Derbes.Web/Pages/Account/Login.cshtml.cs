using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Account;

/// <summary>
/// Sign-in by email or confirmed phone. Wrong password, unknown account and locked account give the same
/// page and status, and each costs one Argon2id verification (SECURITY-CHECKS 6–8). Failures are counted
/// in the database, so the lockout holds across instances.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class LoginModel(
    DerbesDb db,
    PasswordSignIn passwordSignIn,
    SignInManager<Derbes.Web.Customers.Account> signIn,
    AuditTrail audit,
    PendingSignIn pendingSignIn,
    PendingReopen pendingReopen,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [TempData]
    public string? Notice { get; set; }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required")]
        [StringLength(254, ErrorMessage = "Validation.TooLong")]
        [Display(Name = "Login.Login")]
        public string Login { get; set; } = "";

        [Required(ErrorMessage = "Validation.Required")]
        [DataType(DataType.Password)]
        [Display(Name = "Login.Password")]
        public string Password { get; set; } = "";

        public bool RememberMe { get; set; }
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
        // The password step is shared with the app's token endpoint: the same rules, the same lockout count.
        var check = await passwordSignIn.CheckAsync(Input.Login, Input.Password, SignInChannel.Web, cancellationToken);
        switch (check.Outcome)
        {
            case PasswordCheckOutcome.Failed:
                return Failed();
            case PasswordCheckOutcome.Blocked:
                ModelState.AddModelError(string.Empty, l["Login.Blocked"]);
                return Page();
            case PasswordCheckOutcome.Closing:
                // Within the grace period the right password leads to the page that can undo the closure; nobody is
                // signed in unless the customer gives consent to processing anew there.
                pendingReopen.Start(check.Account!.Id, Input.RememberMe);
                return RedirectToPage("Reopen");
            case PasswordCheckOutcome.Unconfirmed:
                ModelState.AddModelError(string.Empty, l["Login.Unconfirmed"]);
                return Page();
        }
        var account = check.Account!;
        var now = clock.GetUtcNow();
        if (account.Kind == AccountKind.Staff)
        {
            // Staff owe a second factor (SECURITY-CHECKS 26); without one set up they cannot sign in.
            audit.Record("signin.password-ok", account.Id, account.TwoFactorEnabled ? "awaiting-2fa" : "no-2fa");
            account.LockoutCount = 0;
            await db.SaveChangesAsync(cancellationToken);
            if (!account.TwoFactorEnabled)
            {
                return Failed();
            }
            pendingSignIn.Start(account.Id, Input.RememberMe, ReturnUrl);
            return RedirectToPage("LoginTwoFactor");
        }
        if (account.TwoFactorEnabled)
        {
            // A customer who turned on two-step sign-in (cabinet, security) owes a code or a recovery code too.
            audit.Record("signin.password-ok", account.Id, "awaiting-2fa");
            account.LockoutCount = 0;
            await db.SaveChangesAsync(cancellationToken);
            pendingSignIn.Start(account.Id, Input.RememberMe, ReturnUrl);
            return RedirectToPage("LoginTwoFactor");
        }

        account.LockoutCount = 0;
        // From here the person is the account: the entry names them, as a customer (staff sign in through the second factor).
        audit.Record("signin.succeeded", account.Id, actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
        // One SaveChanges: the account, the audit entry and the new session together.
        await SignInAsync(db, signIn, account, Input.RememberMe, options.Value, now, HttpContext);
        return LocalRedirect(DerbesPipeline.IsLocal(ReturnUrl) ? ReturnUrl! : "/cabinet");
    }

    /// <summary>Opens a session record and issues a brand-new session cookie naming it (never reusing one from before sign-in).</summary>
    public static async Task SignInAsync(DerbesDb db, SignInManager<Derbes.Web.Customers.Account> signIn, Derbes.Web.Customers.Account account, bool remember, AccountOptions options, DateTimeOffset now, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(signIn);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (context.User.Identity?.IsAuthenticated == true)
        {
            await signIn.SignOutAsync();
        }
        // Staff are never remembered on a device, and their sessions idle out after 15 minutes.
        var staff = account.Kind == AccountKind.Staff;
        remember = remember && !staff;
        var idle = staff ? options.StaffIdleTimeout : options.CustomerIdleTimeout;
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var session = new UserSession
        {
            Id = Guid.NewGuid(),
            AccountId = account.Id,
            CreatedAt = now,
            LastSeenAt = now,
            Remembered = remember,
            UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent,
            Ip = context.Connection.RemoteIpAddress?.ToString() ?? "",
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(context.RequestAborted);
        var properties = new AuthenticationProperties
        {
            IsPersistent = remember,
            IssuedUtc = now,
            ExpiresUtc = now + (remember ? options.RememberMeLifetime : idle),
            AllowRefresh = true,
        };
        await signIn.SignInWithClaimsAsync(account, properties, SessionClaims.For(account, session, now));
    }

    private PageResult Failed()
    {
        ModelState.AddModelError(string.Empty, l["Login.Failed"]);
        return Page();
    }
}

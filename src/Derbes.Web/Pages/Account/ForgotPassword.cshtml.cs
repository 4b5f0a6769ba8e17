using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Account;

/// <summary>
/// Asks for a reset by email (a link) or by confirmed phone (an SMS code). Whether or not the account exists,
/// the answer is the same page, and it leaves after the same minimum time (SECURITY-CHECKS 17). Requests
/// never lock an account; per account only a few an hour send anything.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class ForgotPasswordModel(
    DerbesDb db,
    AccountDirectory directory,
    AccountTokens tokens,
    AccountMessages messages,
    AuditTrail audit,
    PendingReset pending,
    IOptions<AccountOptions> options,
    TimeProvider clock) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Validation.Required")]
    [StringLength(254, ErrorMessage = "Validation.TooLong")]
    [Display(Name = "Forgot.Login")]
    public string Login { get; set; } = "";

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var started = Stopwatch.GetTimestamp();
        var login = Login.Trim();
        var byPhone = !login.Contains('@', StringComparison.Ordinal);
        var account = await directory.FindByLoginAsync(login, cancellationToken);
        var now = clock.GetUtcNow();
        if (account is not null && !account.ProcessingStopped)
        {
            var purpose = byPhone ? TokenPurpose.ResetPasswordCode : TokenPurpose.ResetPasswordLink;
            var recent = await tokens.CountIssuedSinceAsync(account.Id, purpose, now.AddHours(-1), cancellationToken);
            if (recent < options.Value.ResetRequestsPerHour)
            {
                var profile = directory.Open(account);
                if (byPhone)
                {
                    var code = await tokens.IssueCodeAsync(account, purpose, options.Value.PhoneCodeLifetime, options.Value.PhoneCodeMaxAttempts, cancellationToken);
                    messages.PhoneCode(account, profile.Phone!, code, "reset-password-code");
                }
                else
                {
                    var link = await tokens.IssueLinkAsync(account, purpose, options.Value.ResetLifetime, cancellationToken);
                    messages.PasswordResetLink(account, profile, link);
                }
                audit.Record("password.reset-requested", account.Id, byPhone ? "sms" : "email");
            }
            else
            {
                audit.Record("password.reset-requested", account.Id, "rate-limited");
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        if (byPhone)
        {
            pending.Start(account?.Id ?? Guid.NewGuid());
        }
        await EqualiseAsync(started, cancellationToken);
        return RedirectToPage("ForgotPasswordSent", new { via = byPhone ? "phone" : "email" });
    }

    /// <summary>Waits until a fixed minimum has passed, so known and unknown accounts take the same time.</summary>
    private async Task EqualiseAsync(long started, CancellationToken cancellationToken)
    {
        var remaining = options.Value.ResetMinimumResponseTime - Stopwatch.GetElapsedTime(started);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, cancellationToken);
        }
    }
}

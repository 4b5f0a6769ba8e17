using System.ComponentModel.DataAnnotations;
using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Account;

/// <summary>
/// Reached only with the right password of a closing account (within the grace period): the customer may undo the
/// closure by giving consent to processing anew, in the words of the current edition, and is then signed in. With
/// two-factor sign-in on, the authenticator code is asked here too. Nothing happens unless they choose it.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class ReopenModel(
    DerbesDb db,
    PendingReopen pending,
    AccountClosure closure,
    StaffAuthenticator authenticator,
    SignInManager<Derbes.Web.Customers.Account> signIn,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l,
    TimeProvider clock) : PageModel
{
    [BindProperty]
    public bool Agree { get; set; }

    [BindProperty]
    [StringLength(12, ErrorMessage = "Validation.TooLong")]
    public string? Code { get; set; }

    public DateOnly DestroyedFrom { get; private set; }
    public bool NeedsCode { get; private set; }
    public int Edition { get; private set; }
    public string Wording { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) is null ? RedirectToPage("Login") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var account = await LoadAsync(cancellationToken);
        if (account is null)
        {
            return RedirectToPage("Login");
        }
        if (!Agree)
        {
            ModelState.AddModelError(nameof(Agree), l["Reopen.AgreeRequired"]);
        }
        if (NeedsCode && string.IsNullOrWhiteSpace(Code))
        {
            ModelState.AddModelError(nameof(Code), l["Validation.Required"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var now = clock.GetUtcNow();
        var remember = pending.Current()?.Remember == true;
        if (NeedsCode && !await authenticator.VerifyAsync(account, new string((Code ?? "").Where(char.IsAsciiDigit).ToArray()), cancellationToken))
        {
            if (Lockout.CountFailure(account, options.Value, now) is { } duration)
            {
                audit.Record("account.locked", account.Id, duration.ToString());
                pending.End();
            }
            audit.Record("signin.failed", account.Id, "wrong-code");
            await db.SaveChangesAsync(cancellationToken);
            ModelState.AddModelError(nameof(Code), l["TwoFactor.Invalid"]);
            return Page();
        }
        if (!await closure.CancelAsync(account, Languages.Current, Edition, Wording, cancellationToken))
        {
            pending.End();
            return RedirectToPage("Login");
        }
        pending.End();
        audit.Record("signin.succeeded", account.Id, "reopened", actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
        await LoginModel.SignInAsync(db, signIn, account, remember, options.Value, now, HttpContext);
        return LocalRedirect("/cabinet");
    }

    private async Task<Derbes.Web.Customers.Account?> LoadAsync(CancellationToken cancellationToken)
    {
        var step = pending.Current();
        if (step is null)
        {
            return null;
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == step.Value.AccountId, cancellationToken);
        var now = clock.GetUtcNow();
        if (account is null || account.Status != AccountStatus.Closing || Lockout.IsLocked(account, now))
        {
            return null;
        }
        DestroyedFrom = closure.DestructionDay(account);
        NeedsCode = account.TwoFactorEnabled;
        Edition = await PolicyEdition.InForceAsync(db, cancellationToken);
        Wording = ConsentWording.Text(l, ConsentPurpose.Processing, Edition, Languages.Current);
        return account;
    }
}

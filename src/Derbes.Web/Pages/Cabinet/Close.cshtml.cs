using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// "Close my account": what happens, plainly, then the password. Closing withdraws consent to processing (a ledger
/// record), ends every session and disables sign-in at once; the data is destroyed after the grace period unless the
/// customer signs in again before then, or a law requires keeping it (the reason is shown here first).
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
public sealed class CloseModel(
    DerbesDb db,
    AccountClosure closure,
    SignInManager<Derbes.Web.Customers.Account> signIn,
    IOptions<AccountOptions> options,
    IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Validation.Required")]
    [DataType(DataType.Password)]
    public string Password { get; set; } = "";

    [BindProperty]
    public bool Understand { get; set; }

    public DateOnly DestroyedFrom { get; private set; }
    public string? Hold { get; private set; }
    public int GraceDays => (int)options.Value.ClosingGracePeriod.TotalDays;

    [TempData]
    public int? ClosedUntil { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var account = await LoadAsync(cancellationToken);
        if (!Understand)
        {
            ModelState.AddModelError(nameof(Understand), l["Close.UnderstandRequired"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var start = await closure.CloseWithPasswordAsync(account, Password, ConsentChannel.WebForm, cancellationToken);
        if (start is ClosureStart.WrongPassword or ClosureStart.Locked)
        {
            ModelState.AddModelError(nameof(Password), l[start == ClosureStart.Locked ? "Profile.LockedOut" : "Close.WrongPassword"]);
            return Page();
        }
        await signIn.SignOutAsync();
        ClosedUntil = DestroyedFrom.DayNumber;
        return RedirectToPage("/Account/Closed");
    }

    private async Task<Derbes.Web.Customers.Account> LoadAsync(CancellationToken cancellationToken)
    {
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var account = await db.Users.SingleAsync(a => a.Id == id, cancellationToken);
        DestroyedFrom = closure.DestructionDay(account);
        Hold = account.RetentionHold;
        return account;
    }
}

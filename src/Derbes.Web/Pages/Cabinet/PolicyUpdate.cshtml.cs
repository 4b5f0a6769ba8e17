using System.Security.Claims;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// A new edition of the policy, before the cabinet: its summary in the customer's language and links to it and
/// to what changed; "I have read it", or, when it changed purposes or recipients, "I agree" (a box to tick) or
/// "I do not agree" (which withdraws processing consent and closes the account). Each answer is a ledger record.
/// </summary>
public sealed class PolicyUpdateModel(DerbesDb db, PolicyAgreement agreement, Derbes.Web.Customers.AccountClosure closure, SignInManager<Derbes.Web.Customers.Account> signIn, IStringLocalizer<SharedResource> l) : PageModel
{
    [TempData]
    public int? ClosedUntil { get; set; }

    public PolicyDue Due { get; private set; }
    public PolicyEdition Edition { get; private set; } = null!;
    public PolicyText? Text { get; private set; }

    [BindProperty]
    public bool Agree { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : RedirectToPage("/Cabinet/Index");

    public async Task<IActionResult> OnPostAcknowledgeAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return RedirectToPage("/Cabinet/Index");
        }
        if (Due != PolicyDue.Acknowledge)
        {
            return Page();
        }
        await agreement.AcknowledgeAsync(await AccountAsync(cancellationToken), Edition.Number, cancellationToken);
        return RedirectToPage("/Cabinet/Index");
    }

    public async Task<IActionResult> OnPostAgreeAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return RedirectToPage("/Cabinet/Index");
        }
        if (Due != PolicyDue.Reconsent)
        {
            return Page();
        }
        if (!Agree)
        {
            ModelState.AddModelError(nameof(Agree), l["PolicyUpdate.AgreeRequired"]);
            return Page();
        }
        await agreement.ReconsentAsync(await AccountAsync(cancellationToken), Edition.Number, cancellationToken);
        return RedirectToPage("/Cabinet/Index");
    }

    public async Task<IActionResult> OnPostDeclineAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return RedirectToPage("/Cabinet/Index");
        }
        if (Due != PolicyDue.Reconsent)
        {
            return Page();
        }
        var account = await AccountAsync(cancellationToken);
        await agreement.DeclineAsync(account, Edition.Number, cancellationToken);
        await signIn.SignOutAsync();
        ClosedUntil = closure.DestructionDay(account).DayNumber;
        return RedirectToPage("/Account/Closed");
    }

    private Guid Me => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);

    private Task<Derbes.Web.Customers.Account> AccountAsync(CancellationToken cancellationToken) => db.Users.SingleAsync(a => a.Id == Me, cancellationToken);

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var (due, number) = await agreement.DueAsync(Me, cancellationToken);
        if (due == PolicyDue.None)
        {
            return false;
        }
        Due = due;
        Edition = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts).SingleAsync(e => e.Number == number, cancellationToken);
        Text = Edition.Text(Languages.Current) ?? Edition.Text(Languages.Kazakh);
        return true;
    }
}

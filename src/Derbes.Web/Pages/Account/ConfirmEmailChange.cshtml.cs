using Derbes.Web.Customers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Account;

/// <summary>
/// The link sent to a customer's new email address. Opening it (GET) only shows a button, since mail scanners fetch
/// links; the POST uses the single-use token and changes the address (see <see cref="ProfileChanges"/>). A used,
/// voided or expired link, or an address taken by another account meanwhile, changes nothing and says so.
/// </summary>
public sealed class ConfirmEmailChangeModel(ProfileChanges changes) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    /// <summary>Whether the link can still be used (on opening).</summary>
    public TokenCheck? Check { get; private set; }

    /// <summary>What pressing the button did.</summary>
    public ContactChangeOutcome? Outcome { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        Check = await changes.CheckEmailLinkAsync(Token, cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        Outcome = await changes.ConfirmEmailChangeAsync(Token, cancellationToken);
        return Page();
    }

    /// <summary>The token is in the URL: never sent on as a referrer, never cached.</summary>
    private void NoTraces()
    {
        Response.Headers["Referrer-Policy"] = "no-referrer";
    }
}

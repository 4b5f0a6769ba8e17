using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Account;

/// <summary>
/// The link from the confirmation email. Opening it (GET) only shows a button: mail scanners that fetch
/// links must not confirm anything. The POST uses the single-use token.
/// </summary>
public sealed class ConfirmEmailModel(DerbesDb db, AccountTokens tokens, AuditTrail audit, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public TokenCheck? Outcome { get; private set; }
    public bool Confirmed { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Response.Headers["Referrer-Policy"] = "no-referrer";
        var (check, _) = await tokens.RedeemLinkAsync(Token, TokenPurpose.ConfirmEmail, consume: false, cancellationToken);
        Outcome = check;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Response.Headers["Referrer-Policy"] = "no-referrer";
        var (check, account) = await tokens.RedeemLinkAsync(Token, TokenPurpose.ConfirmEmail, consume: true, cancellationToken);
        Outcome = check;
        if (check != TokenCheck.Valid || account is null)
        {
            return Page();
        }
        account.ConfirmEmail(clock.GetUtcNow());
        audit.Record("account.email-confirmed", account.Id);
        await db.SaveChangesAsync(cancellationToken);
        Confirmed = true;
        return Page();
    }
}

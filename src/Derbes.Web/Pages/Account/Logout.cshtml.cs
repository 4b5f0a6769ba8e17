using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Account;

/// <summary>Sign-out is a POST (a GET never changes state), and it ends the session on the server side too.</summary>
public sealed class LogoutModel(DerbesDb db, SignInManager<Derbes.Web.Customers.Account> signIn, UserManager<Derbes.Web.Customers.Account> users, AuditTrail audit, TimeProvider clock) : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var account = await users.GetUserAsync(User);
        if (account is not null)
        {
            // This session ends on the server: a copy of its cookie opens nothing afterwards.
            if (Guid.TryParseExact(User.FindFirstValue(SessionClaims.SessionId), "N", out var sessionId)
                && await db.Sessions.SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken) is { } session)
            {
                session.End(clock.GetUtcNow());
            }
            audit.Record("signout", account.Id);
            await db.SaveChangesAsync(cancellationToken);
        }
        await signIn.SignOutAsync();
        return RedirectToPage("/Index");
    }
}

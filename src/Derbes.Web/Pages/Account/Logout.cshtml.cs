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

    /// <summary>
    /// Signs out on every device: every open session ends and the security stamp changes, so any instance
    /// refuses every older cookie at its next request.
    /// </summary>
    public async Task<IActionResult> OnPostEverywhereAsync(CancellationToken cancellationToken)
    {
        var account = await users.GetUserAsync(User);
        if (account is not null)
        {
            var now = clock.GetUtcNow();
            var open = await db.Sessions.Where(s => s.AccountId == account.Id && s.EndedAt == null).ToListAsync(cancellationToken);
            foreach (var session in open)
            {
                session.End(now);
            }
            audit.Record("signout.everywhere", account.Id, outcome: "sessions:" + open.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Saves the ended sessions and the audit entry with the new stamp, in one go.
            await users.UpdateSecurityStampAsync(account);
        }
        await signIn.SignOutAsync();
        return RedirectToPage("/Index");
    }
}

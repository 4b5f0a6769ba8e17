using Derbes.Web.Audit;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Customers;

/// <summary>
/// What happens the moment a customer withdraws consent to processing (Art. 8 p.7): the account stops (no
/// sign-in, no recovery, no advertising, no transfers) and is closed within the statutory term; every session ends.
/// </summary>
public static class AccountClosing
{
    /// <summary>Marks the account closing, ends its sessions, audits it, and saves the caller's unit of work with a new security stamp.</summary>
    public static async Task StartAsync(DerbesDb db, UserManager<Account> users, AuditTrail audit, Account account, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(account);
        account.Status = AccountStatus.Closing;
        foreach (var session in await db.Sessions.Where(s => s.AccountId == account.Id && s.EndedAt == null).ToListAsync(cancellationToken))
        {
            session.End(now);
        }
        audit.Record("customer.closing", account.Id, outcome: reason);
        // Saves, and a new stamp refuses every cookie the customer holds, on every instance.
        await users.UpdateSecurityStampAsync(account);
    }
}

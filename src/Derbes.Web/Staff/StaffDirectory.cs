using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Staff;

/// <summary>A member of staff as the Administrator sees them.</summary>
public sealed record StaffMember(Guid Id, string FirstName, string LastName, string Email, AccountStatus Status, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt);

public enum StaffChange
{
    Done,
    NotFound,
    EmailTaken,
    NoRoles,
    /// <summary>The change would leave no active Administrator.</summary>
    LastAdministrator,
}

/// <summary>
/// Staff accounts: invitations by email, roles, deactivation. Every change is audited in the same save, and
/// the site never loses its last active Administrator. Roles are read from the database at every request
/// (the security stamp check regenerates the principal), so a change applies at the staff member's next request.
/// </summary>
public sealed class StaffDirectory(
    DerbesDb db,
    AccountDirectory directory,
    PersonalDataVault vault,
    AccountTokens tokens,
    AccountMessages messages,
    AuditTrail audit,
    UserManager<Account> users,
    TimeProvider clock)
{
    /// <summary>The active members of staff with <paramref name="role"/>, oldest first (deactivated and invited ones get nothing): who a job's report or escalation goes to.</summary>
    public static Task<List<Account>> ActiveInRoleAsync(DerbesDb db, string role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Users.AsNoTracking()
            .Where(a => a.Kind == AccountKind.Staff && a.Status == AccountStatus.Active
                && db.UserRoles.Any(ur => ur.UserId == a.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == role)))
            .OrderBy(a => a.CreatedAt)
            .ToListAsync(cancellationToken);
    }

    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromHours(72);

    public async Task<List<StaffMember>> ListAsync(CancellationToken cancellationToken)
    {
        var staff = await db.Users.AsNoTracking().Where(a => a.Kind == AccountKind.Staff).OrderBy(a => a.CreatedAt).ToListAsync(cancellationToken);
        var roles = await RolesByAccountAsync(staff.Select(a => a.Id).ToList(), cancellationToken);
        return [.. staff.Select(a => ToMember(a, roles.GetValueOrDefault(a.Id) ?? []))];
    }

    public async Task<StaffMember?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id && a.Kind == AccountKind.Staff, cancellationToken);
        if (account is null)
        {
            return null;
        }
        var roles = await RolesByAccountAsync([id], cancellationToken);
        return ToMember(account, roles.GetValueOrDefault(id) ?? []);
    }

    /// <summary>Creates the invited account (no password, cannot sign in) with its roles and emails the invitation link.</summary>
    public async Task<(StaffChange Result, Guid Id)> InviteAsync(string firstName, string lastName, string email, IReadOnlyCollection<string> roles, string language, CancellationToken cancellationToken)
    {
        var wanted = Valid(roles);
        if (wanted.Count == 0)
        {
            return (StaffChange.NoRoles, Guid.Empty);
        }
        if (await directory.FindByEmailAsync(email, cancellationToken) is not null)
        {
            return (StaffChange.EmailTaken, Guid.Empty);
        }
        var now = clock.GetUtcNow();
        var account = Account.NewStaff(now, language);
        vault.CreateKey(account.Id);
        var profile = new Profile(firstName, lastName, email, null);
        directory.Seal(account, profile);
        db.Users.Add(account);
        await AddRolesAsync(account.Id, wanted, cancellationToken);
        var secret = await tokens.IssueLinkAsync(account, TokenPurpose.StaffInvitation, InvitationLifetime, cancellationToken);
        messages.StaffInvitation(account, profile, secret);
        audit.Record("staff.invited", account.Id, outcome: "roles:" + string.Join(",", wanted));
        await db.SaveChangesAsync(cancellationToken);
        return (StaffChange.Done, account.Id);
    }

    /// <summary>Replaces a staff member's roles; audited with the before and after.</summary>
    public Task<StaffChange> SetRolesAsync(Guid id, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        var wanted = Valid(roles);
        return AdministratorChangeAsync(ct => SetRolesInChangeAsync(id, wanted, ct), cancellationToken);
    }

    private async Task<StaffChange> SetRolesInChangeAsync(Guid id, List<string> wanted, CancellationToken cancellationToken)
    {
        var current = await FindAsync(id, cancellationToken);
        if (current is null)
        {
            return StaffChange.NotFound;
        }
        if (wanted.Count == 0)
        {
            return StaffChange.NoRoles;
        }
        if (current.Roles.Contains(StaffRoles.Administrator) && !wanted.Contains(StaffRoles.Administrator)
            && current.Status == AccountStatus.Active && await OtherActiveAdministratorsAsync(id, cancellationToken) == 0)
        {
            return StaffChange.LastAdministrator;
        }
        if (current.Roles.OrderBy(r => r, StringComparer.Ordinal).SequenceEqual(wanted))
        {
            return StaffChange.Done;
        }
        var links = await db.UserRoles.Where(r => r.UserId == id).ToListAsync(cancellationToken);
        db.UserRoles.RemoveRange(links);
        await AddRolesAsync(id, wanted, cancellationToken);
        audit.Record("staff.roles-changed", id, outcome: string.Join(",", current.Roles) + ">" + string.Join(",", wanted));
        await db.SaveChangesAsync(cancellationToken);
        return StaffChange.Done;
    }

    /// <summary>Deactivates (every session ends at once) or reactivates a staff member.</summary>
    public Task<StaffChange> SetActiveAsync(Guid id, bool active, CancellationToken cancellationToken) =>
        AdministratorChangeAsync(ct => SetActiveInChangeAsync(id, active, ct), cancellationToken);

    private async Task<StaffChange> SetActiveInChangeAsync(Guid id, bool active, CancellationToken cancellationToken)
    {
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == id && a.Kind == AccountKind.Staff, cancellationToken);
        if (account is null)
        {
            return StaffChange.NotFound;
        }
        if (active)
        {
            if (account.Status != AccountStatus.Blocked)
            {
                return StaffChange.Done;
            }
            // Back to where they were: active if they had accepted the invitation, otherwise still invited.
            account.Status = account.EmailConfirmed ? AccountStatus.Active : AccountStatus.Invited;
            audit.Record("staff.reactivated", id);
            await db.SaveChangesAsync(cancellationToken);
            return StaffChange.Done;
        }
        if (account.Status == AccountStatus.Blocked)
        {
            return StaffChange.Done;
        }
        var roles = await RolesByAccountAsync([id], cancellationToken);
        if (account.Status == AccountStatus.Active && (roles.GetValueOrDefault(id) ?? []).Contains(StaffRoles.Administrator)
            && await OtherActiveAdministratorsAsync(id, cancellationToken) == 0)
        {
            return StaffChange.LastAdministrator;
        }
        account.Status = AccountStatus.Blocked;
        var now = clock.GetUtcNow();
        foreach (var session in await db.Sessions.Where(s => s.AccountId == id && s.EndedAt == null).ToListAsync(cancellationToken))
        {
            session.End(now);
        }
        // Unused invitation links die with the deactivation.
        await db.AccountTokens.Where(t => t.AccountId == id && t.Purpose == TokenPurpose.StaffInvitation && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
        audit.Record("staff.deactivated", id);
        // A new stamp refuses every cookie the person holds, on every instance, at the next request.
        await users.UpdateSecurityStampAsync(account);
        return StaffChange.Done;
    }

    /// <summary>
    /// Runs a change that could leave the site without an Administrator in one transaction, after any other such
    /// change. It takes the chain lock first, as every audited transaction does (see
    /// <see cref="DerbesDb.WithChainLockAsync{T}"/>), then writes the Administrator role's row, which holds a row lock
    /// on PostgreSQL (on every instance) and the write lock on SQLite until commit. Everything the change then reads
    /// (who is still an Administrator) is what the previous change committed, so two Administrators removing each
    /// other at the same moment cannot both succeed. A change that ends early (not found, nothing to do, the last
    /// Administrator) has written nothing but the role's concurrency stamp.
    /// </summary>
    private Task<StaffChange> AdministratorChangeAsync(Func<CancellationToken, Task<StaffChange>> change, CancellationToken cancellationToken) =>
        db.WithChainLockAsync(async ct =>
        {
            await db.Roles.Where(r => r.Name == StaffRoles.Administrator)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid().ToString()), ct);
            return await change(ct);
        }, cancellationToken);

    private async Task<int> OtherActiveAdministratorsAsync(Guid except, CancellationToken cancellationToken)
    {
        var role = await db.Roles.AsNoTracking().SingleAsync(r => r.Name == StaffRoles.Administrator, cancellationToken);
        return await db.UserRoles.CountAsync(
            ur => ur.RoleId == role.Id && ur.UserId != except && db.Users.Any(a => a.Id == ur.UserId && a.Status == AccountStatus.Active),
            cancellationToken);
    }

    private async Task AddRolesAsync(Guid accountId, List<string> roles, CancellationToken cancellationToken)
    {
        var ids = await db.Roles.AsNoTracking().Where(r => roles.Contains(r.Name!)).Select(r => r.Id).ToListAsync(cancellationToken);
        db.UserRoles.AddRange(ids.Select(roleId => new IdentityUserRole<Guid> { UserId = accountId, RoleId = roleId }));
    }

    private async Task<Dictionary<Guid, List<string>>> RolesByAccountAsync(List<Guid> ids, CancellationToken cancellationToken)
    {
        var rows = await (from ur in db.UserRoles
                          join r in db.Roles on ur.RoleId equals r.Id
                          where ids.Contains(ur.UserId)
                          select new { ur.UserId, r.Name }).ToListAsync(cancellationToken);
        return rows.GroupBy(x => x.UserId).ToDictionary(g => g.Key, g => g.Select(x => x.Name!).OrderBy(n => n, StringComparer.Ordinal).ToList());
    }

    private StaffMember ToMember(Account account, List<string> roles)
    {
        var profile = directory.Open(account);
        return new StaffMember(account.Id, profile.FirstName, profile.LastName, profile.Email, account.Status, roles, account.CreatedAt);
    }

    /// <summary>Only the known roles, each once, in a fixed order; anything else a form sends is dropped.</summary>
    private static List<string> Valid(IEnumerable<string> roles) =>
        [.. StaffRoles.All.Where(r => roles.Contains(r, StringComparer.Ordinal)).OrderBy(r => r, StringComparer.Ordinal)];
}

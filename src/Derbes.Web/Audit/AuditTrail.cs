using System.Security.Claims;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Audit;

/// <summary>
/// Writes audit entries into the caller's unit of work, so an entry is saved exactly when the change it
/// describes is. The chain is linked by <see cref="DerbesDb.SaveChangesAsync(bool, CancellationToken)"/>.
/// </summary>
public sealed class AuditTrail(DerbesDb db, IHttpContextAccessor http, TimeProvider clock)
{
    /// <summary>The role of a signed-in customer (customers hold no role claims).</summary>
    public const string CustomerRole = "customer";

    /// <summary>The role of background jobs.</summary>
    public const string SystemRole = "system";

    /// <summary>
    /// Records <paramref name="action"/>. The actor and role default to the signed-in person (or "system" outside
    /// a request); pass both when the actor is not the request's user yet, as at sign-in.
    /// </summary>
    public void Record(string action, string subject, string outcome = "ok", string? actor = null, string? role = null)
    {
        var context = http.HttpContext;
        actor ??= context?.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? (context is null ? "system" : "anonymous");
        role ??= actor == "system" ? SystemRole : RoleOf(context?.User);
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            Actor = Truncate(actor),
            Role = Truncate(role),
            Action = Truncate(action),
            Subject = Truncate(subject),
            Outcome = Truncate(outcome),
            CorrelationId = Truncate(context?.TraceIdentifier ?? ""),
            Ip = Truncate(context?.Connection.RemoteIpAddress?.ToString() ?? ""),
        });
    }

    public void Record(string action, Guid subject, string outcome = "ok", string? actor = null, string? role = null) =>
        Record(action, subject.ToString(), outcome, actor, role);

    /// <summary>
    /// Records <paramref name="action"/> without anything that could name the person: actor "anonymous", no role, no
    /// client address, no request id (which logs could tie to an address). For steps that must stay apart from
    /// identity, such as a survey's answer (policy 2.2.4: statistics without the author), even when the person happens
    /// to be signed in.
    /// </summary>
    public void RecordUnattributed(string action, string subject, string outcome = "ok") =>
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            Actor = "anonymous",
            Role = "",
            Action = Truncate(action),
            Subject = Truncate(subject),
            Outcome = Truncate(outcome),
            CorrelationId = "",
            Ip = "",
        });

    /// <summary>The role of an account that is not (yet) the request's user: its staff roles as stored now, or "customer".</summary>
    public async Task<string> RoleOfAsync(Account account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (account.Kind != AccountKind.Staff)
        {
            return CustomerRole;
        }
        var roles = await db.UserRoles.Where(r => r.UserId == account.Id)
            .Join(db.Roles, r => r.RoleId, r => r.Id, (_, r) => r.Name)
            .ToListAsync(cancellationToken);
        return StaffRolesText(roles.OfType<string>());
    }

    /// <summary>The signed-in person's role: staff roles from the session's claims, "customer" without any, "" for nobody.</summary>
    public static string RoleOf(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return "";
        }
        var roles = user.Identities.SelectMany(i => i.FindAll(i.RoleClaimType)).Select(c => c.Value).ToList();
        return roles.Count == 0 ? CustomerRole : StaffRolesText(roles);
    }

    /// <summary>
    /// Roles joined with ",", in the fixed order of <see cref="StaffRoles.All"/> (any other name after them,
    /// alphabetically), so the same roles always read, filter and hash the same.
    /// </summary>
    public static string StaffRolesText(IEnumerable<string> roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        return string.Join(",", roles.Distinct(StringComparer.Ordinal)
            .OrderBy(r => Array.IndexOf(StaffRoles.All, r) is var i and >= 0 ? i : StaffRoles.All.Length)
            .ThenBy(r => r, StringComparer.Ordinal));
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64];
}

using System.Globalization;
using Derbes.Web.Data;

namespace Derbes.Web.Audit;

/// <summary>An append-only, hash-chained record of who did what to whose data (policy 4.1–4.2, Art. 22).</summary>
public sealed class AuditEntry : IChainedRecord
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>Account id of the actor, or "anonymous" / "system".</summary>
    public string Actor { get; set; } = "";
    /// <summary>
    /// In what capacity the actor acted, at that moment: a member of staff's roles (comma-separated, in the
    /// order of <see cref="Security.StaffRoles.All"/>), "customer", "system", or empty for nobody signed in.
    /// </summary>
    public string Role { get; set; } = "";
    public string Action { get; set; } = "";
    /// <summary>Account id (or other id) the action concerns; never a name, email or phone.</summary>
    public string Subject { get; set; } = "";
    public string Outcome { get; set; } = "";
    public string CorrelationId { get; set; } = "";
    public string Ip { get; set; } = "";
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";

    /// <summary>
    /// The hashed fields. The role came later: entries written before it exist, hashed over seven fields, so an
    /// entry without a role is hashed exactly as those were (old chains still verify), and an entry with one
    /// has it as an eighth field. The fields are length-prefixed, so neither form can be made to read as the
    /// other: adding, removing or changing a role breaks the entry's hash either way.
    /// </summary>
    public string CanonicalContent()
    {
        var at = At.UtcTicks.ToString(CultureInfo.InvariantCulture);
        return Role.Length == 0
            ? HashChain.Canonical(at, Actor, Action, Subject, Outcome, CorrelationId, Ip)
            : HashChain.Canonical(at, Actor, Action, Subject, Outcome, CorrelationId, Ip, Role);
    }
}

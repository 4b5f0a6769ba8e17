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
    public string Action { get; set; } = "";
    /// <summary>Account id (or other id) the action concerns; never a name, email or phone.</summary>
    public string Subject { get; set; } = "";
    public string Outcome { get; set; } = "";
    public string CorrelationId { get; set; } = "";
    public string Ip { get; set; } = "";
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";

    public string CanonicalContent() => HashChain.Canonical(
        At.UtcTicks.ToString(CultureInfo.InvariantCulture), Actor, Action, Subject, Outcome, CorrelationId, Ip);
}

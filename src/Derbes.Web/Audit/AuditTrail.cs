using System.Security.Claims;
using Derbes.Web.Data;

namespace Derbes.Web.Audit;

/// <summary>
/// Writes audit entries into the caller's unit of work, so an entry is saved exactly when the change it
/// describes is. The chain is linked by <see cref="DerbesDb.SaveChangesAsync(bool, CancellationToken)"/>.
/// </summary>
public sealed class AuditTrail(DerbesDb db, IHttpContextAccessor http, TimeProvider clock)
{
    public void Record(string action, string subject, string outcome = "ok", string? actor = null)
    {
        var context = http.HttpContext;
        actor ??= context?.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? (context is null ? "system" : "anonymous");
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            Actor = Truncate(actor),
            Action = Truncate(action),
            Subject = Truncate(subject),
            Outcome = Truncate(outcome),
            CorrelationId = Truncate(context?.TraceIdentifier ?? ""),
            Ip = Truncate(context?.Connection.RemoteIpAddress?.ToString() ?? ""),
        });
    }

    public void Record(string action, Guid subject, string outcome = "ok", string? actor = null) =>
        Record(action, subject.ToString(), outcome, actor);

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64];
}

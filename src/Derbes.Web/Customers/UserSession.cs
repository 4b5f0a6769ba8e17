namespace Derbes.Web.Customers;

/// <summary>
/// One signed-in session (one browser or device). The cookie names it; every request checks it is still
/// open, so signing out ends exactly this session at once, even if a copy of the cookie is replayed, and
/// the cabinet can list and end sessions one by one.
/// </summary>
public sealed class UserSession
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public bool Remembered { get; set; }
    public string UserAgent { get; set; } = "";
    public string Ip { get; set; } = "";

    public bool IsOpen => EndedAt is null;

    public void End(DateTimeOffset at) => EndedAt ??= at;
}

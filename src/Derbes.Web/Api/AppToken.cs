namespace Derbes.Web.Api;

public enum AppTokenKind
{
    /// <summary>Sent with every call (Authorization: Bearer); lives minutes.</summary>
    Access = 0,
    /// <summary>Exchanged once for a new pair; lives weeks.</summary>
    Refresh = 1,
}

/// <summary>
/// One token handed to the mobile app, stored only as the SHA-256 of its value (a copy of the database opens no
/// session). Every token belongs to a <see cref="Customers.UserSession"/>, the same row a browser's cookie names, so
/// the session list shows the app and ending the session ends its tokens at once; the tokens of one session are
/// one family: a refresh token used twice ends the whole session.
/// </summary>
public sealed class AppToken
{
    public long Id { get; set; }
    public Guid SessionId { get; set; }
    public AppTokenKind Kind { get; set; }
    /// <summary>SHA-256 of the token, hex.</summary>
    public string TokenHash { get; set; } = "";
    /// <summary>The account's security stamp when the token was issued: a new stamp (sign out everywhere, a password change) voids it.</summary>
    public string SecurityStamp { get; set; } = "";
    public DateTimeOffset IssuedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>For a refresh token: when it was exchanged. A second exchange is a stolen copy or a replay.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}

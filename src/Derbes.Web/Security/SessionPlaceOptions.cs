namespace Derbes.Web.Security;

/// <summary>How the cabinet describes a session's place.</summary>
public sealed class SessionPlaceOptions
{
    public const string Section = "Sessions";

    /// <summary>
    /// A MaxMind-format (.mmdb) city or country database, e.g. GeoLite2-City or DB-IP's IP-to-City Lite. Without
    /// one, a session's place is its address network ("203.0.113.0/24") and "place unknown": nothing is guessed.
    /// </summary>
    public string? GeoDatabase { get; set; }
}

namespace Derbes.Web.Security;

/// <summary>
/// One fixed-window request counter shared by every instance (PostgreSQL only): the key is a keyed hash of
/// the client address, so the table never holds an address.
/// </summary>
public sealed class RateCounter
{
    public required string Key { get; set; }
    public DateTimeOffset WindowStart { get; set; }
    public int Count { get; set; }
}

namespace Derbes.Web.Security;

/// <summary>
/// A customer's own data key, wrapped by a master key. It lives in a table of its own so that it can be
/// kept and backed up apart from the rest: destroying it makes the customer's sealed data unreadable in
/// every copy (crypto-shredding, Art. 18 of the law).
/// </summary>
public sealed class DataKey
{
    public Guid AccountId { get; set; }
    public string MasterKeyId { get; set; } = "";
    public byte[]? WrappedKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DestroyedAt { get; set; }
}

using System.Security.Cryptography;
using System.Text;

namespace Derbes.Web.Security;

/// <summary>
/// Keyed HMAC-SHA256 of a normalised email or phone number: equal inputs give equal indexes, so look-ups
/// stay indexed, while the database alone (without the key held outside it) reveals nothing.
/// </summary>
public sealed class BlindIndex(MasterKeyRing keys)
{
    public string Email(string email) => Compute("email", NormaliseEmail(email));

    /// <param name="e164">A phone number already normalised to E.164.</param>
    public string Phone(string e164) => Compute("phone", e164);

    /// <summary>A client address as a counter key: shared limits count per address without storing it.</summary>
    public string ClientAddress(string ip) => Compute("ip", ip);

    public static string NormaliseEmail(string email) => email.Trim().ToLowerInvariant();

    private string Compute(string kind, string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(keys.IndexKey, Encoding.UTF8.GetBytes(kind + ":" + value)));
}

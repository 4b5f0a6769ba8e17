using System.Security.Cryptography;
using System.Text;

namespace Derbes.Web.Security;

/// <summary>Random secrets handed to people (links, codes) and the hashes under which they are kept.</summary>
public static class SecretToken
{
    /// <summary>A 256-bit URL-safe token for links.</summary>
    public static string NewLinkToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A six-digit code for SMS, uniformly drawn.</summary>
    public static string NewSixDigitCode() =>
        RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Only this hash is stored: a database leak gives no usable link or code.</summary>
    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

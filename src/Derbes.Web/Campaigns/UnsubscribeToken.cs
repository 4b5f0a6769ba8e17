using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Messaging;
using Derbes.Web.Security;

namespace Derbes.Web.Campaigns;

/// <summary>What an unsubscribe link stands for: this customer, this channel, from this campaign.</summary>
public sealed record UnsubscribeClaim(Guid AccountId, MessageChannel Channel, long CampaignId);

/// <summary>
/// The token in every campaign's unsubscribe link: the customer, the channel and the campaign, with an HMAC-SHA256
/// tag (128 bits) under a key derived from the master key file, so it cannot be guessed, forged or altered, and
/// nothing needs storing per message (a million emails, no million rows). The link works as long as the customer
/// exists: an old email still unsubscribes.
/// </summary>
public sealed class UnsubscribeToken(MasterKeyRing keys)
{
    private const byte Version = 1;
    private const int PayloadLength = 1 + 16 + 1 + 8;
    private const int TagLength = 16;
    private static readonly int EncodedLength = Base64Url.GetEncodedLength(PayloadLength + TagLength);

    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.IndexKey, 32, info: Encoding.ASCII.GetBytes("derbes unsubscribe v1"));

    public string Create(UnsubscribeClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        Span<byte> token = stackalloc byte[PayloadLength + TagLength];
        token[0] = Version;
        claim.AccountId.TryWriteBytes(token.Slice(1, 16));
        token[17] = (byte)claim.Channel;
        BinaryPrimitives.WriteInt64BigEndian(token.Slice(18, 8), claim.CampaignId);
        HMACSHA256.HashData(_key, token[..PayloadLength])[..TagLength].CopyTo(token[PayloadLength..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>The claim of a genuine token; null for anything forged, altered, truncated or malformed.</summary>
    public UnsubscribeClaim? Read(string? token)
    {
        // Every genuine token has exactly this length. Anything else is refused before decoding: a cut-off token
        // (a link broken across lines) has leftover bits, on which Base64Url.TryDecodeFromChars throws instead of
        // returning false, and the page answered 500 instead of "this link is not valid".
        if (token is null || token.Length != EncodedLength)
        {
            return null;
        }
        Span<byte> bytes = stackalloc byte[PayloadLength + TagLength];
        try
        {
            if (!Base64Url.TryDecodeFromChars(token, bytes, out var length) || length != PayloadLength + TagLength || bytes[0] != Version)
            {
                return null;
            }
        }
        catch (FormatException)
        {
            return null;
        }
        var expected = HMACSHA256.HashData(_key, bytes[..PayloadLength])[..TagLength];
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.Slice(PayloadLength, TagLength)))
        {
            return null;
        }
        var channel = (MessageChannel)bytes[17];
        var campaign = BinaryPrimitives.ReadInt64BigEndian(bytes.Slice(18, 8));
        return Enum.IsDefined(channel) && campaign > 0 ? new UnsubscribeClaim(new Guid(bytes.Slice(1, 16)), channel, campaign) : null;
    }
}

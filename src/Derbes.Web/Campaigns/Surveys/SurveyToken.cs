using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Security;

namespace Derbes.Web.Campaigns.Surveys;

/// <summary>What a survey link stands for: this customer may answer this campaign's survey.</summary>
public sealed record SurveyClaim(Guid AccountId, long CampaignId);

/// <summary>
/// The token in a survey campaign's link, made like <see cref="UnsubscribeToken"/> (the account and the campaign with
/// a 128-bit HMAC-SHA256 tag) under a key of its own, so an unsubscribe token is no survey token and the other way
/// round: the survey opens without signing in, and nothing is stored per message. It also makes the
/// <see cref="SurveyParticipation"/> key, under a third key: one answer per customer without storing who.
/// </summary>
public sealed class SurveyToken(MasterKeyRing keys)
{
    private const byte Version = 1;
    private const int PayloadLength = 1 + 16 + 8;
    private const int TagLength = 16;

    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.IndexKey, 32, info: Encoding.ASCII.GetBytes("derbes survey link v1"));
    private readonly byte[] _participationKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.IndexKey, 32, info: Encoding.ASCII.GetBytes("derbes survey participation v1"));

    public string Create(SurveyClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        Span<byte> token = stackalloc byte[PayloadLength + TagLength];
        Payload(claim, token[..PayloadLength]);
        HMACSHA256.HashData(_key, token[..PayloadLength])[..TagLength].CopyTo(token[PayloadLength..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>The claim of a genuine token; null for anything forged, altered, truncated or malformed.</summary>
    public SurveyClaim? Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return null;
        }
        Span<byte> bytes = stackalloc byte[48];
        int length;
        try
        {
            if (!Base64Url.TryDecodeFromChars(token, bytes, out length))
            {
                return null;
            }
        }
        catch (FormatException)
        {
            // A cut link (a length no Base64url text has): the decoder throws rather than answering false.
            return null;
        }
        if (length != PayloadLength + TagLength || bytes[0] != Version)
        {
            return null;
        }
        var expected = HMACSHA256.HashData(_key, bytes[..PayloadLength])[..TagLength];
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.Slice(PayloadLength, TagLength)))
        {
            return null;
        }
        var campaign = BinaryPrimitives.ReadInt64BigEndian(bytes.Slice(17, 8));
        return campaign > 0 ? new SurveyClaim(new Guid(bytes.Slice(1, 16)), campaign) : null;
    }

    /// <summary>The <see cref="SurveyParticipation.AccountKey"/> of a customer in a campaign: equal for one pair, unlinkable without the key.</summary>
    public string ParticipationKey(SurveyClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        Span<byte> payload = stackalloc byte[PayloadLength];
        Payload(claim, payload);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_participationKey, payload));
    }

    private static void Payload(SurveyClaim claim, Span<byte> payload)
    {
        payload[0] = Version;
        claim.AccountId.TryWriteBytes(payload.Slice(1, 16));
        BinaryPrimitives.WriteInt64BigEndian(payload.Slice(17, 8), claim.CampaignId);
    }
}

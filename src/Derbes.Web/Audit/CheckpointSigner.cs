using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Security;
using Geralt;

namespace Derbes.Web.Audit;

/// <summary>
/// Signs and checks audit checkpoints with Ed25519. The key pair is derived from a master key (HKDF-SHA256,
/// info "Derbes audit checkpoint"), so there is no further key file to keep, rotate or lose: the key id is the
/// master key's id, and checkpoints signed before a rotation still verify with the older key kept in the ring.
/// What it protects against is the same reader the hash chain does, someone with the database but not the key
/// file: they can neither forge a checkpoint nor hide a purge. The public key may be handed to an auditor, who
/// can then check checkpoints without holding any secret.
/// </summary>
public sealed class CheckpointSigner(MasterKeyRing keys)
{
    private static readonly byte[] Info = Encoding.UTF8.GetBytes("Derbes audit checkpoint");

    private readonly ConcurrentDictionary<string, byte[]> _publicKeys = new(StringComparer.Ordinal);

    /// <summary>The id of the key new checkpoints are signed with.</summary>
    public string CurrentKeyId => keys.CurrentId;

    /// <summary>Signs <paramref name="checkpoint"/> with the current key, setting its key id and signature.</summary>
    public void Sign(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        checkpoint.KeyId = keys.CurrentId;
        var publicKey = new byte[Ed25519.PublicKeySize];
        var privateKey = new byte[Ed25519.PrivateKeySize];
        var signature = new byte[Ed25519.SignatureSize];
        try
        {
            Derive(checkpoint.KeyId, publicKey, privateKey);
            Ed25519.Sign(signature, Encoding.UTF8.GetBytes(checkpoint.SignedContent()), privateKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
        checkpoint.Signature = Convert.ToHexStringLower(signature);
    }

    /// <summary>Whether the signature is the named key's over the checkpoint as it now reads (false for an unknown key).</summary>
    public bool Verify(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (PublicKey(checkpoint.KeyId) is not { } publicKey
            || checkpoint.Signature.Length != Ed25519.SignatureSize * 2
            || !checkpoint.Signature.All(char.IsAsciiHexDigit))
        {
            return false;
        }
        return Ed25519.Verify(Convert.FromHexString(checkpoint.Signature), Encoding.UTF8.GetBytes(checkpoint.SignedContent()), publicKey);
    }

    /// <summary>The public key of <paramref name="keyId"/> in hex, to give to an auditor; null when the ring has no such key.</summary>
    public string? PublicKeyHex(string keyId) => PublicKey(keyId) is { } key ? Convert.ToHexStringLower(key) : null;

    private byte[]? PublicKey(string keyId)
    {
        if (_publicKeys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }
        var publicKey = new byte[Ed25519.PublicKeySize];
        var privateKey = new byte[Ed25519.PrivateKeySize];
        try
        {
            Derive(keyId, publicKey, privateKey);
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
        return _publicKeys.GetOrAdd(keyId, publicKey);
    }

    /// <summary>The key pair of a master key; throws <see cref="CryptographicException"/> for an id the ring does not hold.</summary>
    private void Derive(string keyId, Span<byte> publicKey, Span<byte> privateKey)
    {
        Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.Master(keyId), seed, salt: [], info: Info);
            Ed25519.GenerateKeyPair(publicKey, privateKey, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }
}

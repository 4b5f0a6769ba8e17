using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Security;

/// <summary>
/// Seals and opens a person's data with their own data key (AES-256-GCM). The associated data binds each
/// ciphertext to its owner and its field, so a sealed value copied to another row or column fails to open.
/// Scoped: data keys opened during a request are kept for that request only.
/// </summary>
public sealed class PersonalDataVault(DerbesDb db, MasterKeyRing keys, TimeProvider clock)
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<Guid, byte[]> _open = [];

    /// <summary>Creates the data key of a new account and adds it (unsaved) to the context.</summary>
    public void CreateKey(Guid accountId)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        db.DataKeys.Add(new DataKey
        {
            AccountId = accountId,
            MasterKeyId = keys.CurrentId,
            WrappedKey = Wrap(key, accountId, keys.CurrentId),
            CreatedAt = clock.GetUtcNow(),
        });
        _open[accountId] = key;
    }

    public byte[] Seal(Guid accountId, string field, string value) =>
        Seal(accountId, field, Encoding.UTF8.GetBytes(value));

    public byte[] Seal(Guid accountId, string field, ReadOnlySpan<byte> plaintext)
    {
        var key = Key(accountId);
        var output = new byte[1 + NonceSize + plaintext.Length + TagSize];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), Aad(accountId, field));
        return output;
    }

    public string OpenString(Guid accountId, string field, byte[] sealedValue) =>
        Encoding.UTF8.GetString(Open(accountId, field, sealedValue));

    public byte[] Open(Guid accountId, string field, byte[] sealedValue)
    {
        ArgumentNullException.ThrowIfNull(sealedValue);
        if (sealedValue.Length < 1 + NonceSize + TagSize || sealedValue[0] != Version)
        {
            throw new CryptographicException("Not a sealed value.");
        }
        var key = Key(accountId);
        var length = sealedValue.Length - 1 - NonceSize - TagSize;
        var plaintext = new byte[length];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedValue.AsSpan(1, NonceSize), sealedValue.AsSpan(1 + NonceSize, length), sealedValue.AsSpan(sealedValue.Length - TagSize), plaintext, Aad(accountId, field));
        return plaintext;
    }

    /// <summary>True when the account's data can still be opened (its key exists and was not destroyed).</summary>
    public bool CanOpen(Guid accountId)
    {
        try
        {
            Key(accountId);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when a stored key row unwraps with this key file: a restore's check, which opens no one's data.</summary>
    public bool Unwraps(DataKey stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.WrappedKey is null)
        {
            return false;
        }
        try
        {
            CryptographicOperations.ZeroMemory(Unwrap(stored.WrappedKey, stored.AccountId, stored.MasterKeyId));
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private byte[] Key(Guid accountId)
    {
        if (_open.TryGetValue(accountId, out var key))
        {
            return key;
        }
        var stored = db.DataKeys.AsNoTracking().SingleOrDefault(k => k.AccountId == accountId);
        if (stored?.WrappedKey is null)
        {
            throw new CryptographicException("The data key of this account does not exist or was destroyed.");
        }
        key = Unwrap(stored.WrappedKey, accountId, stored.MasterKeyId);
        _open[accountId] = key;
        return key;
    }

    private byte[] Wrap(byte[] dataKey, Guid accountId, string masterId)
    {
        var output = new byte[NonceSize + dataKey.Length + TagSize];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
        using var aes = new AesGcm(keys.Master(masterId), TagSize);
        aes.Encrypt(output.AsSpan(0, NonceSize), dataKey, output.AsSpan(NonceSize, dataKey.Length), output.AsSpan(NonceSize + dataKey.Length), Aad(accountId, "data-key:" + masterId));
        return output;
    }

    private byte[] Unwrap(byte[] wrapped, Guid accountId, string masterId)
    {
        var key = new byte[wrapped.Length - NonceSize - TagSize];
        using var aes = new AesGcm(keys.Master(masterId), TagSize);
        aes.Decrypt(wrapped.AsSpan(0, NonceSize), wrapped.AsSpan(NonceSize, key.Length), wrapped.AsSpan(wrapped.Length - TagSize), key, Aad(accountId, "data-key:" + masterId));
        return key;
    }

    private static byte[] Aad(Guid accountId, string field) =>
        Encoding.UTF8.GetBytes(accountId.ToString("N") + "/" + field);
}

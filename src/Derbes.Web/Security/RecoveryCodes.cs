using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Security;

/// <summary>
/// One-time recovery codes for a customer's two-step sign-in, for the day the phone with the authenticator is
/// lost. Ten at a time, each about 50 random bits ("k7m2p-x9q4r"), shown once; only keyed hashes are kept
/// (HMAC with the index key held outside the database, bound to the account), so a copy of the database
/// gives no usable code. Identity's own recovery codes are stored as they are typed, so they are not used.
/// </summary>
public sealed class RecoveryCodes(DerbesDb db, MasterKeyRing keys)
{
    public const int Count = 10;
    private const string Name = "RecoveryCodeHashes";
    // No 0/o, 1/l/i: a code copied by hand from paper is read back right.
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    /// <summary>
    /// New codes replacing any the account had (the old ones stop working), added to the caller's unit of work.
    /// Returns the codes to show, once.
    /// </summary>
    public async Task<string[]> ReplaceAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var codes = Enumerable.Range(0, Count).Select(_ => NewCode()).ToArray();
        var row = await RowAsync(accountId, cancellationToken);
        var value = string.Join(';', codes.Select(c => Hash(accountId, c)));
        if (row is null)
        {
            db.UserTokens.Add(new IdentityUserToken<Guid> { UserId = accountId, LoginProvider = StaffAuthenticator.Provider, Name = Name, Value = value });
        }
        else
        {
            row.Value = value;
        }
        return codes;
    }

    /// <summary>How many unused codes the account has.</summary>
    public async Task<int> RemainingAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var value = await db.UserTokens.AsNoTracking()
            .Where(t => t.UserId == accountId && t.LoginProvider == StaffAuthenticator.Provider && t.Name == Name)
            .Select(t => t.Value).SingleOrDefaultAsync(cancellationToken);
        return Split(value).Length;
    }

    /// <summary>
    /// Uses up <paramref name="typed"/> if it is one of the account's codes, and returns how many are left; null
    /// when it is not one. The use is a conditional update of the stored list, so of two requests racing with the
    /// same code only one succeeds. It is written at once: run it inside the caller's transaction.
    /// </summary>
    public async Task<int?> RedeemAsync(Guid accountId, string? typed, CancellationToken cancellationToken)
    {
        var code = Normalise(typed);
        if (code.Length != 10)
        {
            return null;
        }
        var stored = await db.UserTokens.AsNoTracking()
            .Where(t => t.UserId == accountId && t.LoginProvider == StaffAuthenticator.Provider && t.Name == Name)
            .Select(t => t.Value).SingleOrDefaultAsync(cancellationToken);
        var hashes = Split(stored);
        var hash = Hash(accountId, code);
        var match = hashes.FirstOrDefault(h => SecretToken.HashesEqual(h, hash));
        if (match is null)
        {
            return null;
        }
        var left = hashes.Where(h => !ReferenceEquals(h, match)).ToArray();
        var value = string.Join(';', left);
        var changed = await db.UserTokens
            .Where(t => t.UserId == accountId && t.LoginProvider == StaffAuthenticator.Provider && t.Name == Name && t.Value == stored)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Value, value), cancellationToken);
        return changed == 1 ? left.Length : null;
    }

    /// <summary>Removes the account's codes (two-step sign-in turned off), with the caller's SaveChanges.</summary>
    public async Task RemoveAsync(Guid accountId, CancellationToken cancellationToken)
    {
        if (await RowAsync(accountId, cancellationToken) is { } row)
        {
            db.UserTokens.Remove(row);
        }
    }

    /// <summary>Lower case, letters and digits only: "K7M2P-X9Q4R" and "k7m2p x9q4r" are the same code.</summary>
    public static string Normalise(string? typed) =>
        new([.. (typed ?? "").Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant)]);

    private static string NewCode()
    {
        var chars = new char[11];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = i == 5 ? '-' : Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(chars);
    }

    private string Hash(Guid accountId, string code) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(keys.IndexKey, Encoding.UTF8.GetBytes("recovery:" + accountId.ToString("N") + ":" + Normalise(code))));

    private static string[] Split(string? value) => (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);

    private Task<IdentityUserToken<Guid>?> RowAsync(Guid accountId, CancellationToken cancellationToken) =>
        db.UserTokens.SingleOrDefaultAsync(t => t.UserId == accountId && t.LoginProvider == StaffAuthenticator.Provider && t.Name == Name, cancellationToken);
}

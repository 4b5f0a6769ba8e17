using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Customers;
using Geralt;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

/// <summary>
/// Argon2id through libsodium (Geralt), stored as PHC strings (<c>$argon2id$v=19$m=19456,t=2,p=1$…</c>).
/// Each hash takes ~19 MiB and tens of milliseconds, so the number running at once is capped (about one
/// per core): a flood of sign-ins queues instead of exhausting memory. Hashes made with weaker parameters
/// report <see cref="PasswordVerificationResult.SuccessRehashNeeded"/>, and Identity re-hashes them at the
/// next successful sign-in.
/// </summary>
public sealed class Argon2PasswordHasher : IPasswordHasher<Account>, IDisposable
{
    private readonly int _memoryBytes;
    private readonly int _iterations;
    private readonly SemaphoreSlim _gate;
    private readonly string _dummyHash;
    private readonly int _slots;

    public Argon2PasswordHasher(IOptions<PasswordHashingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _memoryBytes = options.Value.MemoryKiB * 1024;
        _iterations = options.Value.Iterations;
        var slots = options.Value.MaxConcurrentHashes > 0 ? options.Value.MaxConcurrentHashes : Environment.ProcessorCount;
        _slots = slots;
        _gate = new SemaphoreSlim(slots, slots);
        _dummyHash = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
    }

    /// <summary>Hashes running right now (never more than the configured slots; the rest wait).</summary>
    public int Running => _slots - _gate.CurrentCount;

    public string HashPassword(Account user, string password) => Hash(password);

    public PasswordVerificationResult VerifyHashedPassword(Account user, string hashedPassword, string providedPassword)
    {
        ArgumentNullException.ThrowIfNull(hashedPassword);
        if (!hashedPassword.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            // Unknown formats are never accepted; there is no legacy scheme to migrate from.
            return PasswordVerificationResult.Failed;
        }
        if (!Verify(hashedPassword, providedPassword))
        {
            return PasswordVerificationResult.Failed;
        }
        return Argon2id.NeedsRehash(hashedPassword, _iterations, _memoryBytes)
            ? PasswordVerificationResult.SuccessRehashNeeded
            : PasswordVerificationResult.Success;
    }

    /// <summary>Spends one verification on a hash nobody owns, so unknown accounts cost as much as known ones.</summary>
    public void VerifyDummy(string providedPassword) => Verify(_dummyHash, providedPassword);

    public string Hash(string password) => Hash(password, _iterations, _memoryBytes);

    /// <summary>Hashes with explicit parameters (weaker ones exist only for the upgrade tests and the benchmark).</summary>
    public string Hash(string password, int iterations, int memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(password);
        var encoded = new char[Argon2id.HashSize];
        var bytes = Encoding.UTF8.GetBytes(password);
        _gate.Wait();
        try
        {
            Argon2id.ComputeHash(encoded, bytes, iterations, memoryBytes);
        }
        finally
        {
            _gate.Release();
            CryptographicOperations.ZeroMemory(bytes);
        }
        return new string(encoded).TrimEnd('\0');
    }

    private bool Verify(string hash, string password)
    {
        var bytes = Encoding.UTF8.GetBytes(password ?? "");
        _gate.Wait();
        try
        {
            return Argon2id.VerifyHash(hash, bytes);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // A malformed stored hash never verifies.
            return false;
        }
        finally
        {
            _gate.Release();
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public void Dispose() => _gate.Dispose();
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Customers;
using Geralt;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

/// <summary>
/// Argon2id through libsodium (Geralt), stored as PHC strings (<c>$argon2id$v=19$m=19456,t=2,p=1$…</c>).
/// Each hash takes ~19 MiB and tens of milliseconds, so hashes run only on a few dedicated threads (one per
/// core by default): a flood of sign-ins waits in a queue, asynchronously, instead of exhausting memory or
/// blocking the threads that serve every other page. Hashes made with weaker parameters report
/// <see cref="PasswordVerificationResult.SuccessRehashNeeded"/> and are re-hashed at the next sign-in.
/// </summary>
public sealed class Argon2PasswordHasher : IPasswordHasher<Account>, IDisposable
{
    private readonly int _memoryBytes;
    private readonly int _iterations;
    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread[] _workers;
    private readonly string _dummyHash;
    private int _running;
    private int _disposed;

    public Argon2PasswordHasher(IOptions<PasswordHashingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _memoryBytes = options.Value.MemoryKiB * 1024;
        _iterations = options.Value.Iterations;
        var slots = options.Value.MaxConcurrentHashes > 0 ? options.Value.MaxConcurrentHashes : Environment.ProcessorCount;
        _workers = [.. Enumerable.Range(0, slots).Select(i => new Thread(Work) { IsBackground = true, Name = $"argon2id-{i}" })];
        foreach (var worker in _workers)
        {
            worker.Start();
        }
        _dummyHash = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
    }

    /// <summary>Hashes running right now (never more than the worker threads; the rest wait in the queue).</summary>
    public int Running => Volatile.Read(ref _running);

    public string HashPassword(Account user, string password) => Hash(password);

    public PasswordVerificationResult VerifyHashedPassword(Account user, string hashedPassword, string providedPassword) =>
        Wait(VerifyAsync(hashedPassword, providedPassword));

    /// <summary>Verifies on a hashing thread; the caller's thread is free while it waits its turn.</summary>
    public Task<PasswordVerificationResult> VerifyAsync(string hashedPassword, string providedPassword)
    {
        ArgumentNullException.ThrowIfNull(hashedPassword);
        if (!hashedPassword.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            // Unknown formats are never accepted; there is no legacy scheme to migrate from.
            return Task.FromResult(PasswordVerificationResult.Failed);
        }
        return RunAsync(() =>
        {
            if (!Verify(hashedPassword, providedPassword))
            {
                return PasswordVerificationResult.Failed;
            }
            return Argon2id.NeedsRehash(hashedPassword, _iterations, _memoryBytes)
                ? PasswordVerificationResult.SuccessRehashNeeded
                : PasswordVerificationResult.Success;
        });
    }

    /// <summary>Spends one verification on a hash nobody owns, so unknown accounts cost as much as known ones.</summary>
    public Task VerifyDummyAsync(string providedPassword) => RunAsync(() => Verify(_dummyHash, providedPassword));

    public Task<string> HashAsync(string password) => HashAsync(password, _iterations, _memoryBytes);

    public string Hash(string password) => Wait(HashAsync(password));

    /// <summary>Hashes with explicit parameters (weaker ones exist only for the upgrade tests and the benchmark).</summary>
    public string Hash(string password, int iterations, int memoryBytes) => Wait(HashAsync(password, iterations, memoryBytes));

    private Task<string> HashAsync(string password, int iterations, int memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(password);
        return RunAsync(() =>
        {
            var encoded = new char[Argon2id.HashSize];
            var bytes = Encoding.UTF8.GetBytes(password);
            try
            {
                Argon2id.ComputeHash(encoded, bytes, iterations, memoryBytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
            return new string(encoded).TrimEnd('\0');
        });
    }

    private static bool Verify(string hash, string password)
    {
        var bytes = Encoding.UTF8.GetBytes(password ?? "");
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
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            Interlocked.Increment(ref _running);
            T result = default!;
            Exception? error = null;
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                error = ex;
            }
            finally
            {
                // Counted out before the waiter is released, so "Running" never lags behind the callers.
                Interlocked.Decrement(ref _running);
            }
            if (error is null)
            {
                done.SetResult(result);
            }
            else
            {
                done.SetException(error);
            }
        });
        return done.Task;
    }

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private void Work()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            item();
        }
    }

    public void Dispose()
    {
        // Registered both as itself and as IPasswordHasher, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _queue.CompleteAdding();
        foreach (var worker in _workers)
        {
            worker.Join();
        }
        _queue.Dispose();
    }
}

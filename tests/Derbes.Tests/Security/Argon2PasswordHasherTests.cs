using Derbes.Web.Customers;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Derbes.Tests.Security;

public sealed class Argon2PasswordHasherTests
{
    private static Argon2PasswordHasher Hasher(int memoryKiB = 19_456, int iterations = 2) =>
        new(Options.Create(new PasswordHashingOptions { MemoryKiB = memoryKiB, Iterations = iterations }));

    [Fact]
    public void HashesAreArgon2idPhcStringsWithOwaspParameters()
    {
        using var hasher = Hasher();
        var hash = hasher.HashPassword(new Account(), "жасыл алма бағы");
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
        Assert.NotEqual(hash, hasher.HashPassword(new Account(), "жасыл алма бағы"));
    }

    [Fact]
    public void TheRightPasswordVerifiesAndAWrongOneDoesNot()
    {
        using var hasher = Hasher();
        var hash = hasher.Hash("жасыл алма бағы");
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(new Account(), hash, "жасыл алма бағы"));
        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(new Account(), hash, "жасыл алма бағ"));
    }

    [Fact]
    public void AHashWithWeakerParametersAsksToBeUpgraded()
    {
        using var hasher = Hasher();
        var weak = hasher.Hash("жасыл алма бағы", iterations: 1, memoryBytes: 8 * 1024 * 1024);
        Assert.Contains("m=8192,t=1", weak, StringComparison.Ordinal);
        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, hasher.VerifyHashedPassword(new Account(), weak, "жасыл алма бағы"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text")]
    [InlineData("AQAAAAIAAYagAAAAE")] // an Identity v3 hash: no such legacy here
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$broken")]
    public void UnknownOrBrokenHashesNeverVerify(string stored)
    {
        using var hasher = Hasher();
        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(new Account(), stored, "anything at all"));
    }
}

public sealed class Argon2ConcurrencyTests
{
    [Fact]
    public void WithOneSlotFourHashesOnFourThreadsRunOneAfterAnother()
    {
        using var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions { MaxConcurrentHashes = 1 }));
        hasher.Hash("warm-up password");

        var peak = 0;
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            hasher.Hash("password number " + i);
        })).ToList();
        var sampler = new Thread(() =>
        {
            while (threads.Any(t => t.IsAlive) || wall.ElapsedMilliseconds < 5)
            {
                peak = Math.Max(peak, hasher.Running);
            }
        });
        threads.ForEach(t => t.Start());
        sampler.Start();
        threads.ForEach(t => t.Join());
        wall.Stop();
        sampler.Join();

        // The sampler watched the whole time: it saw a hash running, and never two at once. (No wall-clock
        // assertion: on a loaded machine timings prove nothing either way.)
        Assert.Equal(1, peak);
        Assert.Equal(0, hasher.Running);
    }
}

public sealed class Argon2LifetimeTests
{
    [Fact]
    public void DisposingTwiceIsHarmlessAsTheContainerMayDoIt()
    {
        var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions()));
        hasher.Dispose();
        hasher.Dispose();
        Assert.Equal(0, hasher.Running);
    }
}

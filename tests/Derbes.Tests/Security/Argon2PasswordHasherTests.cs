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

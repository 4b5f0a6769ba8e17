using Derbes.Web.Startup;

namespace Derbes.Tests.Startup;

/// <summary>
/// <c>restore</c> and <c>verify-backup</c> name one archive and, optionally, a key copy; the site's settings may stand
/// on the same command line (as the schedule passes them on, or an operator adds them) and are not taken for either.
/// </summary>
public sealed class CommandArgumentsTests
{
    [Theory]
    [InlineData(new[] { "a.dbk" }, "a.dbk", null)]
    [InlineData(new[] { "a.dbk", "--keys", "k.dkeys" }, "a.dbk", "k.dkeys")]
    [InlineData(new[] { "--keys", "k.dkeys", "a.dbk" }, "a.dbk", "k.dkeys")]
    [InlineData(new[] { "a.dbk", "--Database:Provider=Postgres", "--contentRoot", "/srv/derbes", "--environment", "Production" }, "a.dbk", null)]
    [InlineData(new[] { "--Data:Directory", "/var/lib/derbes", "a.dbk", "--keys", "k.dkeys" }, "a.dbk", "k.dkeys")]
    public void TheArchiveAndTheKeyCopyAreFoundAmongTheSitesSettings(string[] arguments, string archive, string? keys) =>
        Assert.Equal((archive, keys), Commands.ArchiveArguments(arguments));

    [Theory]
    [InlineData("")]
    [InlineData("a.dbk b.dbk")]
    [InlineData("--keys k.dkeys")]
    [InlineData("--Backup:Directory a.dbk")]
    public void NoArchiveOrTwoIsAUsageError(string arguments) =>
        Assert.Null(Commands.ArchiveArguments(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Archive);

    [Fact]
    public void OnlyTheSettingsReachTheConfiguration() =>
        Assert.Equal(
            ["--Data:Directory=/var/lib/derbes", "--contentRoot", "/srv/derbes", "--Backup:Nice", "5"],
            Commands.Settings(["/backups/a.dbk", "--Data:Directory=/var/lib/derbes", "--keys", "/keys/k.dkeys", "--contentRoot", "/srv/derbes", "--Backup:Nice", "5"]));
}

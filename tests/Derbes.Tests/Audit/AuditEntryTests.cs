using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Security;

namespace Derbes.Tests.Audit;

/// <summary>The actor's role in audit entries (issue 4), and the retention's limits.</summary>
public sealed class AuditEntryTests
{
    private static AuditEntry Entry(string role) => new()
    {
        At = DateTimeOffset.UnixEpoch.AddDays(20_000),
        Actor = "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        Role = role,
        Action = "customer.viewed",
        Subject = "a1b2",
        Outcome = "reason:complaint",
        CorrelationId = "0HN:1",
        Ip = "10.0.0.7",
    };

    [Fact]
    public void AnEntryWithoutARoleIsHashedExactlyAsEntriesWrittenBeforeRolesExisted()
    {
        var entry = Entry("");
        var before = HashChain.Canonical(
            entry.At.UtcTicks.ToString(CultureInfo.InvariantCulture), entry.Actor, entry.Action, entry.Subject, entry.Outcome, entry.CorrelationId, entry.Ip);
        Assert.Equal(before, entry.CanonicalContent());
    }

    [Fact]
    public void TheRoleIsPartOfTheHashSoAddingChangingOrRemovingItBreaksTheEntry()
    {
        var hashes = new[] { "", "customer", "Support", "Support,PrivacyOfficer" }
            .Select(role => HashChain.Link(HashChain.Genesis, Entry(role).CanonicalContent()))
            .ToList();
        Assert.Equal(hashes.Count, hashes.Distinct(StringComparer.Ordinal).Count());
        // Nor can the role be slid into the field before it.
        var shifted = Entry("");
        shifted.Ip = "10.0.0.7;8:customer";
        Assert.NotEqual(Entry("customer").CanonicalContent(), shifted.CanonicalContent());
    }

    [Fact]
    public void StaffRolesAreWrittenInOneFixedOrderWhateverOrderTheClaimsCameIn()
    {
        Assert.Equal("Support,PrivacyOfficer,Administrator", AuditTrail.StaffRolesText([StaffRoles.Administrator, StaffRoles.Support, StaffRoles.PrivacyOfficer]));
        Assert.Equal("Support,PrivacyOfficer,Administrator", AuditTrail.StaffRolesText([StaffRoles.PrivacyOfficer, StaffRoles.Administrator, StaffRoles.Support, StaffRoles.Support]));
    }

    [Fact]
    public void TheRoleComesFromTheSignedInPerson()
    {
        Assert.Equal("", AuditTrail.RoleOf(null));
        Assert.Equal("", AuditTrail.RoleOf(new ClaimsPrincipal(new ClaimsIdentity())));
        var customer = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "c")], "test"));
        Assert.Equal(AuditTrail.CustomerRole, AuditTrail.RoleOf(customer));
        var staff = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "s"), new Claim(ClaimTypes.Role, StaffRoles.Marketing), new Claim(ClaimTypes.Role, StaffRoles.Support)], "test"));
        Assert.Equal("Support,Marketing", AuditTrail.RoleOf(staff));
    }

    [Theory]
    [InlineData("364.00:00:00", false)]
    [InlineData("365.00:00:00", true)]
    [InlineData("1095.00:00:00", true)]
    [InlineData("40000.00:00:00", false)]
    public void RetentionUnderAYearIsRefused(string retention, bool valid)
    {
        var options = new AuditOptions { Retention = TimeSpan.Parse(retention, CultureInfo.InvariantCulture) };
        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }

    [Fact]
    public void TheDefaultIsThreeYears()
    {
        var options = new AuditOptions();
        Assert.Equal(TimeSpan.FromDays(1095), options.Retention);
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }
}

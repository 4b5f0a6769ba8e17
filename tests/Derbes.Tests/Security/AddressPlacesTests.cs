using System.Net;
using Derbes.Web.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Derbes.Tests.Security;

/// <summary>
/// The approximate place of a session: from a MaxMind-format database when one is configured (written here in
/// that format and read by the real reader), otherwise only the network; local addresses say so; nothing is made up.
/// </summary>
public sealed class AddressPlacesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "derbes-places-" + Guid.NewGuid().ToString("N"));

    public AddressPlacesTests() => Directory.CreateDirectory(_folder);

    public static readonly Dictionary<string, object> Kazakhstan = new() { ["en"] = "Kazakhstan", ["ru"] = "Казахстан" };
    public static readonly Dictionary<string, object> Almaty = new() { ["en"] = "Almaty", ["ru"] = "Алматы" };

    private string CityDatabase()
    {
        var path = Path.Combine(_folder, "city.mmdb");
        new MaxMindTestDatabase()
            .Add("2.72.0.0/16", MaxMindTestDatabase.City("KZ", Kazakhstan, Almaty))
            .Add("2a03:32c0::/32", MaxMindTestDatabase.City("KZ", Kazakhstan, new Dictionary<string, object> { ["en"] = "Astana", ["ru"] = "Астана", ["kk"] = "Астана" }))
            .Add("5.34.0.0/16", MaxMindTestDatabase.City("KZ", new Dictionary<string, object> { ["en"] = "Kazakhstan", ["ru"] = "Казахстан", ["kk"] = "Қазақстан" }))
            .Write(path, "GeoLite2-City", "en", "ru");
        return path;
    }

    private static AddressPlaces Places(string? database) =>
        new(Options.Create(new SessionPlaceOptions { GeoDatabase = database }), NullLogger<AddressPlaces>.Instance);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("10.20.30.40")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.10")]
    [InlineData("169.254.3.4")]
    [InlineData("fe80::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("::ffff:192.168.0.7")]
    public void PrivateAndLoopbackAddressesAreTheLocalNetwork(string address)
    {
        using var places = Places(null);
        Assert.Equal(new Place(PlaceKind.Local), places.Find(address, "kk"));
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("172.32.1.1", "172.32.1.0/24")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.0/24")]
    [InlineData("2001:db8:abcd:12::1", "2001:db8:abcd::/48")]
    public void WithoutADatabaseOnlyTheNetworkIsShownAndThePlaceIsUnknown(string address, string network)
    {
        using var places = Places(null);
        var place = places.Find(address, "ru");
        Assert.Equal(PlaceKind.NetworkOnly, place.Kind);
        Assert.Equal(network, place.Network);
        Assert.Null(place.Name);
        Assert.False(places.HasDatabase);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("not an address")]
    public void NoAddressMeansNoPlace(string? address)
    {
        using var places = Places(null);
        Assert.Equal(PlaceKind.Unknown, places.Find(address, "en").Kind);
    }

    [Fact]
    public void ACityDatabaseNamesTheCityAndCountryInTheReadersLanguage()
    {
        using var places = Places(CityDatabase());
        Assert.True(places.HasDatabase);

        var english = places.Find("2.72.10.20", "en");
        Assert.Equal(PlaceKind.Found, english.Kind);
        Assert.Equal("Almaty, Kazakhstan", english.Name);
        Assert.Equal("2.72.10.0/24", english.Network);
        Assert.Equal("Алматы, Казахстан", places.Find("2.72.10.20", "ru").Name);
        // These databases have no Kazakh names: Russian is shown rather than nothing, Kazakh wherever it exists.
        Assert.Equal("Алматы, Казахстан", places.Find("2.72.10.20", "kk").Name);
        Assert.Equal("Қазақстан", places.Find("5.34.1.2", "kk").Name);
        Assert.Equal("Астана, Казахстан", places.Find("2a03:32c0:1::5", "kk").Name);
        Assert.Equal("Astana, Kazakhstan", places.Find("2a03:32c0:1::5", "en").Name);
    }

    [Fact]
    public void AnAddressTheDatabaseDoesNotKnowKeepsOnlyItsNetwork()
    {
        using var places = Places(CityDatabase());
        Assert.Equal(new Place(PlaceKind.NetworkOnly, Network: "8.8.8.0/24"), places.Find("8.8.8.8", "en"));
        Assert.Equal(new Place(PlaceKind.NetworkOnly, Network: "2001:db8::/48"), places.Find("2001:db8::1", "en"));
        // Local addresses are never looked up.
        Assert.Equal(PlaceKind.Local, places.Find("192.168.1.1", "en").Kind);
    }

    [Fact]
    public void ACountryDatabaseNamesTheCountry()
    {
        var path = Path.Combine(_folder, "country.mmdb");
        new MaxMindTestDatabase()
            .Add("2.72.0.0/16", MaxMindTestDatabase.City("KZ", Kazakhstan))
            .Write(path, "GeoLite2-Country", "en", "ru");
        using var places = Places(path);
        Assert.Equal("Kazakhstan", places.Find("2.72.0.1", "en").Name);
        Assert.Equal(PlaceKind.NetworkOnly, places.Find("2.73.0.1", "en").Kind);
    }

    [Fact]
    public void AMissingOrDamagedDatabaseFileFallsBackToNetworksWithoutStoppingTheSite()
    {
        using (var missing = Places(Path.Combine(_folder, "missing.mmdb")))
        {
            Assert.False(missing.HasDatabase);
            Assert.Equal(PlaceKind.NetworkOnly, missing.Find("2.72.10.20", "en").Kind);
        }
        var damaged = Path.Combine(_folder, "damaged.mmdb");
        File.WriteAllBytes(damaged, [.. Enumerable.Range(0, 4096).Select(i => (byte)i)]);
        using var places = Places(damaged);
        Assert.False(places.HasDatabase);
        Assert.Equal(PlaceKind.NetworkOnly, places.Find("2.72.10.20", "en").Kind);
    }

    [Fact]
    public void TheNetworkHidesTheHostPart()
    {
        Assert.Equal("203.0.113.0/24", AddressPlaces.Network(IPAddress.Parse("203.0.113.255")));
        Assert.Equal("2a03:32c0:ffff::/48", AddressPlaces.Network(IPAddress.Parse("2a03:32c0:ffff:1234:5678::9")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A memory-mapped file still closing: the temp folder is cleaned by the OS.
        }
    }
}

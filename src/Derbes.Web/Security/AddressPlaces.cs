using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MaxMind.GeoIP2;
using MaxMind.GeoIP2.Model;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

public enum PlaceKind
{
    /// <summary>No address was recorded, or it could not be read.</summary>
    Unknown,
    /// <summary>A loopback, private or link-local address: the request came from inside a local network.</summary>
    Local,
    /// <summary>A public address that the configured database does not place: only its network is shown.</summary>
    NetworkOnly,
    /// <summary>A public address the database places in a city or country.</summary>
    Found,
}

/// <summary>Where an address is, as far as can honestly be said: a place name, or its network with "place unknown".</summary>
/// <param name="Kind">What can be said about the address.</param>
/// <param name="Name">"Almaty, Kazakhstan" in the reader's language (<see cref="PlaceKind.Found"/> only).</param>
/// <param name="Network">The address cut to its network, /24 for IPv4 and /48 for IPv6: the full address is not shown.</param>
public sealed record Place(PlaceKind Kind, string? Name = null, string? Network = null);

/// <summary>
/// The approximate place of a session's or a sign-in's address. A MaxMind-format database (configured as
/// <c>Sessions:GeoDatabase</c>) names the city or country, in the customer's language where the database has it
/// (Russian for Kazakh, which those databases lack, then English). Without a database, or for an address it does
/// not know, only the address's network is given and the place is said to be unknown: a place is never made up.
/// Private and loopback addresses are "the local network".
/// </summary>
public sealed class AddressPlaces : IDisposable
{
    private readonly DatabaseReader? _reader;
    private readonly bool _city;

    public AddressPlaces(IOptions<SessionPlaceOptions> options, ILogger<AddressPlaces> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var path = options.Value.GeoDatabase;
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }
        if (!File.Exists(path))
        {
            // A missing file must not stop the site: the cabinet then shows networks only.
            logger.LogWarning("Sessions:GeoDatabase {Path} does not exist; places of sessions are shown as networks only.", path);
            return;
        }
        try
        {
            _reader = new DatabaseReader(path);
            _city = _reader.Metadata.DatabaseType.Contains("City", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception ex) when (ex is IOException or MaxMind.Db.InvalidDatabaseException or InvalidOperationException)
        {
            logger.LogWarning(ex, "Sessions:GeoDatabase {Path} could not be read; places of sessions are shown as networks only.", path);
        }
    }

    /// <summary>True when a place database was opened.</summary>
    public bool HasDatabase => _reader is not null;

    public Place Find(string? address, string language)
    {
        if (string.IsNullOrWhiteSpace(address) || !IPAddress.TryParse(address, out var ip))
        {
            return new Place(PlaceKind.Unknown);
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (IsLocal(ip))
        {
            return new Place(PlaceKind.Local);
        }
        var network = Network(ip);
        var name = _reader is null ? null : Lookup(ip, language);
        return name is null ? new Place(PlaceKind.NetworkOnly, Network: network) : new Place(PlaceKind.Found, name, network);
    }

    /// <summary>Loopback, private (RFC 1918, RFC 4193) and link-local addresses.</summary>
    public static bool IsLocal(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (IPAddress.IsLoopback(ip))
        {
            return true;
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return b[0] == 10
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254);
        }
        return ip.IsIPv6LinkLocal || ip.IsIPv6UniqueLocal || ip.IsIPv6SiteLocal;
    }

    /// <summary>The address's network: "203.0.113.0/24", "2001:db8:1::/48".</summary>
    public static string Network(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        var bytes = ip.GetAddressBytes();
        var keep = ip.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        Array.Clear(bytes, keep, bytes.Length - keep);
        return new IPAddress(bytes).ToString() + "/" + (keep * 8).ToString(CultureInfo.InvariantCulture);
    }

    private string? Lookup(IPAddress ip, string language)
    {
        try
        {
            if (_city)
            {
                if (!_reader!.TryCity(ip, out var city) || city is null)
                {
                    return null;
                }
                var cityName = Name(city.City, language);
                var countryName = Name(city.Country, language);
                return cityName is null ? countryName : countryName is null ? cityName : cityName + ", " + countryName;
            }
            return _reader!.TryCountry(ip, out var country) && country is not null ? Name(country.Country, language) : null;
        }
        catch (Exception ex) when (ex is ArgumentException or MaxMind.Db.InvalidDatabaseException or InvalidOperationException)
        {
            // An IPv6 address in an IPv4-only database, or a damaged file: the place is simply not known.
            return null;
        }
    }

    private static string? Name(NamedEntity entity, string language)
    {
        foreach (var candidate in new[] { language, "ru", "en" })
        {
            if (entity.Names.TryGetValue(candidate, out var name) && !string.IsNullOrWhiteSpace(name))
            {
                return name;
            }
        }
        return null;
    }

    public void Dispose() => _reader?.Dispose();
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Derbes.Tests.Security;

/// <summary>
/// Writes a small database in the MaxMind DB format (the format of GeoLite2 and DB-IP's .mmdb files, spec 2.0),
/// so the place lookup is tested against the real reader without shipping anyone's database: an IPv6 search
/// tree with 32-bit records (IPv4 networks under ::/96), a data section of maps and strings, and the metadata.
/// </summary>
public sealed class MaxMindTestDatabase
{
    private readonly List<long[]> _nodes = [[Empty, Empty]];
    private readonly List<byte> _data = [];
    private const long Empty = -1;
    // Data records are kept as negative numbers below Empty until the node count is known: -2 - offset.
    private static long DataRecord(int offset) => -2 - offset;

    /// <summary>Adds a network (e.g. "2.72.0.0/16", "2a03:32c0::/32") with its record (nested dictionaries and strings).</summary>
    public MaxMindTestDatabase Add(string network, IReadOnlyDictionary<string, object> record)
    {
        var parts = network.Split('/');
        var ip = IPAddress.Parse(parts[0]);
        var prefix = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var bytes = ip.GetAddressBytes();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes = [.. new byte[12], .. bytes];
            prefix += 96;
        }
        var offset = _data.Count;
        Encode(record, _data);
        var node = 0;
        for (var i = 0; i < prefix; i++)
        {
            var bit = (bytes[i / 8] >> (7 - (i % 8))) & 1;
            if (i == prefix - 1)
            {
                _nodes[node][bit] = DataRecord(offset);
                break;
            }
            if (_nodes[node][bit] < 0)
            {
                _nodes.Add([Empty, Empty]);
                _nodes[node][bit] = _nodes.Count - 1;
            }
            node = (int)_nodes[node][bit];
        }
        return this;
    }

    public void Write(string path, string databaseType, params string[] languages)
    {
        var count = _nodes.Count;
        var file = new List<byte>();
        foreach (var node in _nodes)
        {
            foreach (var record in node)
            {
                var value = record switch
                {
                    Empty => count,
                    < Empty => count + 16 + (-2 - record),
                    _ => record,
                };
                file.AddRange([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
            }
        }
        file.AddRange(new byte[16]);
        file.AddRange(_data);
        file.AddRange([0xAB, 0xCD, 0xEF, .. Encoding.ASCII.GetBytes("MaxMind.com")]);
        Encode(new Dictionary<string, object>
        {
            ["node_count"] = new UInt32Value((uint)count),
            ["record_size"] = new UInt16Value(32),
            ["ip_version"] = new UInt16Value(6),
            ["database_type"] = databaseType,
            ["languages"] = languages,
            ["binary_format_major_version"] = new UInt16Value(2),
            ["binary_format_minor_version"] = new UInt16Value(0),
            ["build_epoch"] = new UInt64Value(1_700_000_000),
            ["description"] = new Dictionary<string, object> { ["en"] = "Derbes test database" },
        }, file);
        File.WriteAllBytes(path, [.. file]);
    }

    private sealed record UInt16Value(ushort Value);
    private sealed record UInt32Value(uint Value);
    private sealed record UInt64Value(ulong Value);

    private static void Encode(object value, List<byte> output)
    {
        switch (value)
        {
            case string s:
                var utf8 = Encoding.UTF8.GetBytes(s);
                Control(2, utf8.Length, output);
                output.AddRange(utf8);
                break;
            case UInt16Value u:
                Unsigned(5, u.Value, output);
                break;
            case UInt32Value u:
                Unsigned(6, u.Value, output);
                break;
            case UInt64Value u:
                Unsigned(9, u.Value, output);
                break;
            case IReadOnlyDictionary<string, object> map:
                Control(7, map.Count, output);
                foreach (var (key, item) in map)
                {
                    Encode(key, output);
                    Encode(item, output);
                }
                break;
            case IEnumerable<string> array:
                var items = array.ToList();
                Control(11, items.Count, output);
                foreach (var item in items)
                {
                    Encode(item, output);
                }
                break;
            default:
                throw new ArgumentException("Unsupported value " + value.GetType());
        }
    }

    private static void Unsigned(int type, ulong value, List<byte> output)
    {
        var bytes = new List<byte>();
        for (var v = value; v != 0; v >>= 8)
        {
            bytes.Insert(0, (byte)v);
        }
        Control(type, bytes.Count, output);
        output.AddRange(bytes);
    }

    /// <summary>The control byte: type in the top three bits (extended types after it), then the size.</summary>
    private static void Control(int type, int size, List<byte> output)
    {
        var extended = type > 7;
        var first = (byte)((extended ? 0 : type) << 5);
        byte[] sizeBytes;
        if (size < 29)
        {
            first |= (byte)size;
            sizeBytes = [];
        }
        else if (size < 285)
        {
            first |= 29;
            sizeBytes = [(byte)(size - 29)];
        }
        else
        {
            first |= 30;
            var rest = size - 285;
            sizeBytes = [(byte)(rest >> 8), (byte)rest];
        }
        output.Add(first);
        if (extended)
        {
            output.Add((byte)(type - 7));
        }
        output.AddRange(sizeBytes);
    }

    /// <summary>A GeoIP2 city record: city and country names by language, and the country's ISO code.</summary>
    public static Dictionary<string, object> City(string isoCode, IReadOnlyDictionary<string, object> country, IReadOnlyDictionary<string, object>? city = null)
    {
        var record = new Dictionary<string, object>
        {
            ["country"] = new Dictionary<string, object> { ["iso_code"] = isoCode, ["names"] = country },
        };
        if (city is not null)
        {
            record["city"] = new Dictionary<string, object> { ["names"] = city };
        }
        return record;
    }
}

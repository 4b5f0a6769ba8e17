using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Derbes.Web.Data;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

/// <summary>
/// The master keys, held outside the database. Each customer's data key is wrapped (AES-256-GCM) by the
/// current master key; older master keys stay in the ring, by id, so rotation needs no re-encryption of
/// personal data, only re-wrapping of data keys. The index key makes the HMAC look-ups for email and phone.
/// </summary>
public sealed class MasterKeyRing
{
    private readonly Dictionary<string, byte[]> _masters;

    public MasterKeyRing(IOptions<KeyOptions> options, DataDirectory dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var file = Load(options.Value, dataDirectory);
        _masters = file.MasterKeys.ToDictionary(k => k.Id, k => Convert.FromBase64String(k.Key), StringComparer.Ordinal);
        if (!_masters.ContainsKey(file.Current))
        {
            throw new InvalidOperationException("The key file names a current master key that it does not hold.");
        }
        CurrentId = file.Current;
        IndexKey = Convert.FromBase64String(file.IndexKey);
        if (IndexKey.Length != 32 || _masters.Values.Any(k => k.Length != 32))
        {
            throw new InvalidOperationException("Every key in the key file must be 32 bytes.");
        }
    }

    public string CurrentId { get; }
    internal byte[] IndexKey { get; }

    internal byte[] Master(string id) =>
        _masters.TryGetValue(id, out var key) ? key : throw new CryptographicException($"Unknown master key '{id}'.");

    private static KeyFile Load(KeyOptions options, DataDirectory dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(options.MasterKeyFileContent))
        {
            return Parse(options.MasterKeyFileContent);
        }
        var path = dataDirectory.Resolve(options.MasterKeyFile);
        if (File.Exists(path))
        {
            return Parse(File.ReadAllText(path));
        }
        var created = new KeyFile
        {
            Current = "m1",
            MasterKeys = [new KeyEntry { Id = "m1", Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }],
            IndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Owner-only from the moment it exists: the file is written through a handle opened 0600.
        var streamOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(path, streamOptions))
        {
            JsonSerializer.Serialize(stream, created, KeyFileJson.Default.KeyFile);
        }
        return created;
    }

    private static KeyFile Parse(string json) =>
        JsonSerializer.Deserialize(json, KeyFileJson.Default.KeyFile)
        ?? throw new InvalidOperationException("The key file is empty.");

    internal sealed class KeyFile
    {
        public string Current { get; set; } = "";
        public List<KeyEntry> MasterKeys { get; set; } = [];
        public string IndexKey { get; set; } = "";
    }

    internal sealed class KeyEntry
    {
        public string Id { get; set; } = "";
        public string Key { get; set; } = "";
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MasterKeyRing.KeyFile))]
internal sealed partial class KeyFileJson : JsonSerializerContext;

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Derbes.Web.Backups;

/// <summary>
/// What an archive copy holds, written beside it (plain JSON: counts, sizes and checksums, nothing about anyone) and
/// inside it (with each document's checksum). The outer one lets an operator check a file without the key; the inner
/// one is authenticated by the encryption.
/// </summary>
public sealed record BackupManifest
{
    /// <summary>
    /// The layout of the archive: 2 is a tar sealed by <see cref="ArchiveCipher"/> with the database entry gzipped
    /// (format 1 gzipped the whole tar; no copy of it was ever kept in production).
    /// </summary>
    public const int CurrentFormat = 2;

    public int Format { get; init; } = CurrentFormat;
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public string Origin { get; init; } = "";
    public string Provider { get; init; } = "";
    public string? Migration { get; init; }
    public string MasterKeyId { get; init; } = "";
    public IReadOnlyDictionary<string, long> Tables { get; init; } = new Dictionary<string, long>();
    public int Documents { get; init; }
    public long DocumentBytes { get; init; }

    /// <summary>Names of documents the database listed that the store no longer held (destroyed meanwhile).</summary>
    public int DocumentsMissing { get; init; }

    /// <summary>Only inside the archive: each document's SHA-256 by storage name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? DocumentHashes { get; init; }

    /// <summary>Only beside the archive: the encrypted file's size and SHA-256.</summary>
    public long Size { get; init; }
    public string Sha256 { get; init; } = "";

    /// <summary>The key copy written with this archive (a restore may use any newer one).</summary>
    public string KeyCopy { get; init; } = "";

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string PathFor(string archive) => Path.ChangeExtension(archive, null) + ".manifest.json";

    public static async Task<BackupManifest> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new BackupException($"The manifest {Path.GetFileName(path)} is missing: it must lie beside the archive copy.");
        }
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<BackupManifest>(stream, Json, cancellationToken)
                ?? throw new BackupException($"The manifest {Path.GetFileName(path)} is empty.");
        }
        catch (JsonException)
        {
            throw new BackupException($"The manifest {Path.GetFileName(path)} is not valid JSON: it was altered or damaged.");
        }
    }

    internal static async Task WriteAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        var temporary = path + ".partial";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, value, Json, cancellationToken);
        }
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>What a key copy holds: how many keys, how many of them destroyed, and up to when destroyed keys were removed from it.</summary>
public sealed record KeyCopyManifest
{
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public int Keys { get; init; }
    public int Destroyed { get; init; }

    /// <summary>How many keys the live key store had destroyed when this copy was last written: more there means it must be rewritten.</summary>
    public long DestroyedInStore { get; init; }

    public DateTimeOffset RewrittenAt { get; init; }
    public long Size { get; init; }
    public string Sha256 { get; init; } = "";

    public static async Task<KeyCopyManifest> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new BackupException($"The manifest {Path.GetFileName(path)} is missing: it must lie beside the key copy.");
        }
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<KeyCopyManifest>(stream, BackupManifest.Json, cancellationToken)
                ?? throw new BackupException($"The manifest {Path.GetFileName(path)} is empty.");
        }
        catch (JsonException)
        {
            throw new BackupException($"The manifest {Path.GetFileName(path)} is not valid JSON: it was altered or damaged.");
        }
    }
}

using System.IO.Compression;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Backups;

/// <summary>
/// Copies of the key store (every customer's wrapped data key), kept apart from the archive copies and only for a short
/// time (Backup:KeyRetention). An archive copy holds customers' data sealed with these keys but never the keys: a restore
/// takes them from a key copy. When a customer's key is destroyed (Art. 18), <see cref="ForgetDestroyedAsync"/> rewrites
/// every key copy without it, so that customer's data in every archive copy, however old, can no longer be opened, while
/// every other customer's can. The key store's rows are never deleted (a destroyed key stays as a row without its key,
/// <see cref="Customers.AccountDestruction.Kept"/>), so the number of destroyed keys only grows, and a key copy that
/// knows fewer than the store is out of date.
/// </summary>
public sealed class KeyCopies(IOptionsMonitor<BackupOptions> options, DataDirectory data, ArchiveCipher cipher, TimeProvider clock)
{
    internal const string Purpose = "key-copy";
    public const string Extension = ".dkeys";

    public string Directory => data.Resolve(options.CurrentValue.KeyDirectory);

    /// <summary>Writes a copy of the whole key store as it is now; returns its manifest.</summary>
    public async Task<KeyCopyManifest> WriteAsync(DerbesDb db, string stamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var destroyedInStore = await DestroyedCountAsync(db, cancellationToken);
        System.IO.Directory.CreateDirectory(Directory);
        var name = "keys-" + stamp + Extension;
        var path = Path.Combine(Directory, name);
        var (count, destroyed) = await WriteFileAsync(path, db.DataKeys.AsNoTracking().OrderBy(k => k.AccountId).AsAsyncEnumerable(), forget: null, cancellationToken);
        var manifest = await SealAsync(path, new KeyCopyManifest
        {
            Name = name,
            CreatedAt = clock.GetUtcNow(),
            Keys = count,
            Destroyed = destroyed,
            DestroyedInStore = destroyedInStore,
            RewrittenAt = clock.GetUtcNow(),
        }, cancellationToken);
        return manifest;
    }

    /// <summary>
    /// Rewrites every key copy that is older than the store's list of destroyed keys, without the keys destroyed since;
    /// returns how many copies were rewritten.
    /// </summary>
    public async Task<int> ForgetDestroyedAsync(DerbesDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var copies = await ListAsync(cancellationToken);
        if (copies.Count == 0)
        {
            return 0;
        }
        // Counted before the list is read: a key destroyed in between makes the next look rewrite again, never miss it.
        var destroyedInStore = await DestroyedCountAsync(db, cancellationToken);
        var stale = copies.Where(c => c.Manifest.DestroyedInStore < destroyedInStore).ToList();
        if (stale.Count == 0)
        {
            return 0;
        }
        var forget = (await db.DataKeys.AsNoTracking().Where(k => k.DestroyedAt != null).Select(k => k.AccountId).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var (path, manifest) in stale)
        {
            var rewritten = path + ".rewrite";
            var (count, destroyed) = await WriteFileAsync(rewritten, ReadAsync(path, cancellationToken), forget, cancellationToken);
            File.Move(rewritten, path, overwrite: true);
            await SealAsync(path, manifest with { Keys = count, Destroyed = destroyed, DestroyedInStore = destroyedInStore, RewrittenAt = clock.GetUtcNow() }, cancellationToken);
        }
        return stale.Count;
    }

    /// <summary>Deletes key copies older than the retention, always keeping the newest; returns the names deleted.</summary>
    public async Task<List<string>> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow() - options.CurrentValue.KeyRetention;
        var copies = await ListAsync(cancellationToken);
        var deleted = new List<string>();
        foreach (var (path, manifest) in copies.OrderByDescending(c => c.Manifest.CreatedAt).Skip(1).Where(c => c.Manifest.CreatedAt < before))
        {
            File.Delete(path);
            File.Delete(BackupManifest.PathFor(path));
            deleted.Add(manifest.Name);
        }
        return deleted;
    }

    /// <summary>The key copies in the key folder with their manifests, newest first.</summary>
    public async Task<List<(string Path, KeyCopyManifest Manifest)>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<(string, KeyCopyManifest)>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return list;
        }
        foreach (var path in System.IO.Directory.GetFiles(Directory, "keys-*" + Extension))
        {
            list.Add((path, await KeyCopyManifest.ReadAsync(BackupManifest.PathFor(path), cancellationToken)));
        }
        return [.. list.OrderByDescending(c => c.Item2.CreatedAt)];
    }

    /// <summary>Checks a key copy against its manifest, then reads its keys.</summary>
    public async IAsyncEnumerable<DataKey> ReadCheckedAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new BackupException($"The key copy {path} does not exist.");
        }
        var manifest = await KeyCopyManifest.ReadAsync(BackupManifest.PathFor(path), cancellationToken);
        await ArchiveCopies.CheckFileAsync(path, manifest.Size, manifest.Sha256, cancellationToken);
        await foreach (var key in ReadAsync(path, cancellationToken))
        {
            yield return key;
        }
    }

    private async IAsyncEnumerable<DataKey> ReadAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        await using var plain = cipher.Decrypt(file, Purpose);
        await using var unzipped = new GZipStream(plain, CompressionMode.Decompress);
        using var reader = new BinaryReader(unzipped);
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = new DataKey
            {
                AccountId = new Guid(reader.ReadBytes(16)),
                MasterKeyId = reader.ReadString(),
                CreatedAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero),
            };
            var destroyed = reader.ReadInt64();
            key.DestroyedAt = destroyed == 0 ? null : new DateTimeOffset(destroyed, TimeSpan.Zero);
            var length = reader.ReadInt32();
            key.WrappedKey = length < 0 ? null : reader.ReadBytes(length);
            yield return key;
        }
        if (reader.ReadInt32() != count)
        {
            throw new BackupException($"The key copy {Path.GetFileName(path)} is damaged: its end does not match its start.");
        }
        await Task.CompletedTask;
    }

    private async Task<(int Count, int Destroyed)> WriteFileAsync(string path, IAsyncEnumerable<DataKey> keys, HashSet<Guid>? forget, CancellationToken cancellationToken)
    {
        // The count leads the file, so the keys are gathered first; wrapped keys are small (a million is ~100 MB).
        var all = new List<DataKey>();
        await foreach (var key in keys.WithCancellation(cancellationToken))
        {
            if (forget is not null && key.WrappedKey is not null && forget.Contains(key.AccountId))
            {
                key.WrappedKey = null;
                key.DestroyedAt ??= clock.GetUtcNow();
            }
            all.Add(key);
        }
        await using (var file = File.Create(path))
        await using (var sealedStream = cipher.Encrypt(file, Purpose))
        await using (var zipped = new GZipStream(sealedStream, CompressionLevel.Fastest))
        using (var writer = new BinaryWriter(zipped))
        {
            writer.Write(all.Count);
            foreach (var key in all)
            {
                writer.Write(key.AccountId.ToByteArray());
                writer.Write(key.MasterKeyId);
                writer.Write(key.CreatedAt.UtcTicks);
                writer.Write(key.DestroyedAt?.UtcTicks ?? 0);
                writer.Write(key.WrappedKey?.Length ?? -1);
                if (key.WrappedKey is not null)
                {
                    writer.Write(key.WrappedKey);
                }
            }
            writer.Write(all.Count);
        }
        return (all.Count, all.Count(k => k.WrappedKey is null));
    }

    private static async Task<KeyCopyManifest> SealAsync(string path, KeyCopyManifest manifest, CancellationToken cancellationToken)
    {
        var (size, sha) = await ArchiveCopies.HashFileAsync(path, cancellationToken);
        var complete = manifest with { Size = size, Sha256 = sha };
        await BackupManifest.WriteAsync(BackupManifest.PathFor(path), complete, cancellationToken);
        return complete;
    }

    private static Task<int> DestroyedCountAsync(DerbesDb db, CancellationToken cancellationToken) =>
        db.DataKeys.CountAsync(k => k.DestroyedAt != null, cancellationToken);
}

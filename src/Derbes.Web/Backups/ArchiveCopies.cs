using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Derbes.Web.Backups;

/// <summary>What a restore (or the restore inside a verification) found and did.</summary>
public sealed record RestoreReport(BackupManifest Manifest, string KeyCopy, IReadOnlyDictionary<string, long> Tables, int KeysOpen, int KeysDestroyed, int Documents);

/// <summary>
/// Archive copies (policy 3.3): the database (without the customers' data keys) and the document store, as of one
/// moment, in one compressed file encrypted with a key kept apart from it (<see cref="ArchiveCipher"/>), with a
/// manifest and checksum beside it; a key copy is written at the same time (<see cref="KeyCopies"/>). Restore goes
/// only into an empty instance and checks everything before it changes anything; verification restores into a
/// temporary database and checks the counts, both chains and every document.
/// </summary>
public sealed partial class ArchiveCopies(
    IServiceScopeFactory scopes,
    IOptionsMonitor<BackupOptions> options,
    IOptions<DatabaseOptions> database,
    DataDirectory data,
    ArchiveCipher cipher,
    KeyCopies keyCopies,
    MasterKeyRing keys,
    IDocumentStore store,
    TimeProvider clock,
    ILogger<ArchiveCopies> logger)
{
    internal const string Purpose = "archive";
    public const string Extension = ".dbk";
    private const string ManifestEntry = "manifest.json";
    private const string DocumentsPrefix = "documents/";

    public string Directory => data.Resolve(options.CurrentValue.Directory);

    public string KeyDirectory => keyCopies.Directory;

    private DatabaseCopy Copy => DatabaseCopy.For(database.Value.Provider, options.CurrentValue.PostgresBin);

    /// <summary>The database's entry in the archive: the provider's copy, compressed with gzip.</summary>
    private string DatabaseEntry => Copy.EntryName + ".gz";

    /// <summary>Writes an archive copy and a key copy of the site as it is now; returns the archive's manifest.</summary>
    public async Task<BackupManifest> CreateAsync(string origin, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var name = "derbes-" + stamp + Extension;
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name);
        if (File.Exists(path))
        {
            throw new BackupException($"An archive copy named {name} exists already.");
        }
        SweepLeftovers();
        var work = WorkDirectory();
        var partial = path + ".partial";
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
            // A copy is of a site's database at the site's schema: a database the site has not migrated (never
            // started, or an older version's) would give an archive that no restore of this version accepts.
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                throw new BackupException($"The database lacks {pending.Count} of this version's migrations (the last: {pending[^1]}). Start the site once: it migrates the database at start. Then make the copy.");
            }
            var snapshot = await Copy.SnapshotAsync(db.Database.GetConnectionString()!, work, StorageColumns(db), cancellationToken);
            // After the snapshot: every key of a customer in the snapshot is in this copy (or destroyed since, as it should be).
            var keyCopy = await keyCopies.WriteAsync(db, stamp, cancellationToken);

            var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            BackupManifest inner;
            long documentBytes = 0;
            var missing = 0;
            await using (var file = File.Create(partial))
            {
                await using var sealedStream = cipher.Encrypt(file, Purpose);
                await using var tar = new TarWriter(sealedStream, TarEntryFormat.Pax, leaveOpen: false);
                // Only the database is compressed: the documents are sealed already, and compressing ciphertext
                // costs about half the copy's time for nothing.
                var compressed = snapshot.File + ".gz";
                await using (var input = File.OpenRead(snapshot.File))
                await using (var output = File.Create(compressed))
                await using (var zipped = new GZipStream(output, CompressionLevel.Fastest))
                {
                    await input.CopyToAsync(zipped, cancellationToken);
                }
                await tar.WriteEntryAsync(compressed, DatabaseEntry, cancellationToken);
                File.Delete(compressed);
                foreach (var storageName in snapshot.StorageNames.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    var bytes = await store.GetAsync(storageName, cancellationToken);
                    if (bytes is null)
                    {
                        missing++;
                        continue;
                    }
                    hashes[storageName] = Convert.ToHexStringLower(SHA256.HashData(bytes));
                    documentBytes += bytes.Length;
                    using var content = new MemoryStream(bytes, writable: false);
                    await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, DocumentsPrefix + storageName) { DataStream = content }, cancellationToken);
                }
                inner = new BackupManifest
                {
                    Name = name,
                    CreatedAt = now,
                    Origin = origin,
                    Provider = Copy.Provider.ToString(),
                    Migration = snapshot.Migration,
                    MasterKeyId = keys.CurrentId,
                    Tables = new SortedDictionary<string, long>(snapshot.Tables.ToDictionary(), StringComparer.Ordinal),
                    Documents = hashes.Count,
                    DocumentBytes = documentBytes,
                    DocumentsMissing = missing,
                    DocumentHashes = hashes,
                    KeyCopy = keyCopy.Name,
                };
                using var manifestBytes = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(inner, BackupManifest.Json), writable: false);
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, ManifestEntry) { DataStream = manifestBytes }, cancellationToken);
            }
            File.Move(partial, path);
            var (size, sha) = await HashFileAsync(path, cancellationToken);
            var manifest = inner with { DocumentHashes = null, Size = size, Sha256 = sha };
            await BackupManifest.WriteAsync(BackupManifest.PathFor(path), manifest, cancellationToken);

            var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
            audit.Record("backup.created", name, FormattableString.Invariant($"documents:{hashes.Count};bytes:{size};sha256:{sha[..16]}"), actor: "system");
            await db.SaveChangesAsync(cancellationToken);
            LogCreated(logger, name, size, hashes.Count);
            return manifest;
        }
        finally
        {
            DeleteQuietly(work);
            // A copy that failed midway leaves no unfinished file (on success it was renamed already).
            DeleteFileQuietly(partial);
        }
    }

    /// <summary>How long a work folder or an unfinished archive file must have been left alone to count as left over.</summary>
    internal static readonly TimeSpan LeftoverAge = TimeSpan.FromDays(1);

    /// <summary>
    /// Removes what a copy, restore or verification killed midway (the site stopped, the machine went down) left
    /// behind: its work folder under <c>.backup-work</c>, which holds a plain copy of the database, and its unfinished
    /// <c>.partial</c> files beside the archive copies, which can be gigabytes. Only what has not been written for
    /// <see cref="LeftoverAge"/>, so a copy or verification running in another process keeps its own. Every copy and
    /// verification sweeps first.
    /// </summary>
    private void SweepLeftovers()
    {
        var before = DateTime.UtcNow - LeftoverAge;
        var workRoot = data.Resolve(".backup-work");
        if (System.IO.Directory.Exists(workRoot))
        {
            foreach (var folder in System.IO.Directory.EnumerateDirectories(workRoot))
            {
                if (LastWrittenUtc(folder) < before)
                {
                    DeleteQuietly(folder);
                    if (!System.IO.Directory.Exists(folder))
                    {
                        LogLeftoverRemoved(logger, folder);
                    }
                }
            }
        }
        if (System.IO.Directory.Exists(Directory))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.partial"))
            {
                if (File.GetLastWriteTimeUtc(file) < before)
                {
                    DeleteFileQuietly(file);
                    if (!File.Exists(file))
                    {
                        LogLeftoverRemoved(logger, file);
                    }
                }
            }
        }
    }

    // The folder's own time changes when a file in it is made or removed; a file's when it is written.
    private static DateTime LastWrittenUtc(string folder) =>
        new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Select(entry => entry.LastWriteTimeUtc)
            .Append(System.IO.Directory.GetLastWriteTimeUtc(folder))
            .Max();

    private static void DeleteFileQuietly(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Restores an archive copy into this instance's database and document store, which must be empty.</summary>
    public async Task<RestoreReport> RestoreAsync(string archive, string? keyCopy, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var connection = scope.ServiceProvider.GetRequiredService<DerbesDb>().Database.GetConnectionString()!;
        if (!await Copy.IsEmptyAsync(connection, cancellationToken))
        {
            throw new BackupException("The database is not empty: an archive copy is restored only into an empty instance (a new database), never over live data.");
        }
        return await RestoreIntoAsync(archive, keyCopy, connection, store, cancellationToken);
    }

    /// <summary>
    /// Restores an archive copy into a temporary database (and no document store), checks it and drops it: the file's
    /// checksum, every chunk's authentication, each document's checksum, every table's count against the manifest, the
    /// audit trail's and the consent ledger's chains, and that every key of the key copy opens with this key file.
    /// </summary>
    public async Task<(RestoreReport Report, ChainReport Chains, IReadOnlyList<string> Problems)> VerifyAsync(string archive, string? keyCopy, CancellationToken cancellationToken)
    {
        SweepLeftovers();
        var work = WorkDirectory();
        string? temporaryDatabase = null;
        string? adminConnection = null;
        try
        {
            string target;
            if (Copy.Provider == DatabaseProvider.Postgres)
            {
                await using var scope = scopes.CreateAsyncScope();
                adminConnection = scope.ServiceProvider.GetRequiredService<DerbesDb>().Database.GetConnectionString()!;
                await DropLeftoverDatabasesAsync(adminConnection, cancellationToken);
                temporaryDatabase = TemporaryDatabasePrefix
                    + DateTime.UtcNow.ToString(TemporaryDatabaseStamp, CultureInfo.InvariantCulture) + "_"
                    + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
                await ExecuteAsync(adminConnection, $"CREATE DATABASE \"{temporaryDatabase}\"", cancellationToken);
                target = new NpgsqlConnectionStringBuilder(adminConnection) { Database = temporaryDatabase, Pooling = false }.ToString();
            }
            else
            {
                target = "Data Source=" + Path.Combine(work, "verify.sqlite");
            }
            var report = await RestoreIntoAsync(archive, keyCopy, target, documents: null, cancellationToken);
            var problems = new List<string>();
            foreach (var (table, expected) in report.Manifest.Tables)
            {
                var actual = table == DatabaseCopy.KeysTable ? expected : report.Tables.GetValueOrDefault(table, -1);
                if (actual != expected)
                {
                    problems.Add($"table {table}: {actual} rows restored, the manifest says {expected}");
                }
            }
            foreach (var table in report.Tables.Keys.Except(report.Manifest.Tables.Keys))
            {
                problems.Add($"table {table} is not in the manifest");
            }
            ChainReport chains;
            await using (var restored = Copy.Context(target))
            {
                await using var scope = scopes.CreateAsyncScope();
                chains = await ChainVerifier.VerifyAsync(restored, scope.ServiceProvider.GetRequiredService<CheckpointSigner>(), cancellationToken);
            }
            if (!chains.Intact)
            {
                problems.Add("the audit trail or the consent ledger does not verify");
            }
            return (report, chains, problems);
        }
        finally
        {
            if (temporaryDatabase is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await ExecuteAsync(adminConnection!, $"DROP DATABASE IF EXISTS \"{temporaryDatabase}\" WITH (FORCE)", CancellationToken.None);
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            DeleteQuietly(work);
        }
    }

    internal const string TemporaryDatabasePrefix = "derbes_verify_";
    internal const string TemporaryDatabaseStamp = "yyyyMMdd'T'HHmmss";

    /// <summary>
    /// Drops the temporary databases of verifications killed midway (PostgreSQL): each holds a whole restored copy of
    /// the site's data. Their names carry the time they were made (UTC); only those older than <see cref="LeftoverAge"/>
    /// go, so a verification running in another process keeps its own.
    /// </summary>
    private async Task DropLeftoverDatabasesAsync(string adminConnection, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnection) { Pooling = false }.ToString()))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE starts_with(datname, @prefix)", connection);
            command.Parameters.AddWithValue("prefix", TemporaryDatabasePrefix);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        var before = DateTime.UtcNow - LeftoverAge;
        foreach (var name in names)
        {
            var stamp = name[TemporaryDatabasePrefix.Length..].Split('_')[0];
            if (DateTime.TryParseExact(stamp, TemporaryDatabaseStamp, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var made)
                && made < before)
            {
                await ExecuteAsync(adminConnection, $"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)", cancellationToken);
                LogLeftoverRemoved(logger, "database " + name);
            }
        }
    }

    /// <summary>Deletes archive copies older than the retention and key copies older than theirs; returns the names deleted.</summary>
    public async Task<List<string>> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow() - options.CurrentValue.Retention;
        var deleted = new List<string>();
        foreach (var (path, manifest) in await ListAsync(cancellationToken))
        {
            if (manifest.CreatedAt < before)
            {
                File.Delete(path);
                File.Delete(BackupManifest.PathFor(path));
                deleted.Add(manifest.Name);
            }
        }
        deleted.AddRange(await keyCopies.DeleteExpiredAsync(cancellationToken));
        if (deleted.Count > 0)
        {
            await using var scope = scopes.CreateAsyncScope();
            var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
            foreach (var name in deleted)
            {
                audit.Record("backup.deleted", name, "retention", actor: "system");
            }
            await scope.ServiceProvider.GetRequiredService<DerbesDb>().SaveChangesAsync(cancellationToken);
        }
        return deleted;
    }

    /// <summary>
    /// The newest archive copy's manifest, or null when the folder has none. Only its manifest is read: the names
    /// carry the UTC time they were written, so they sort by age.
    /// </summary>
    public async Task<BackupManifest?> LatestAsync(CancellationToken cancellationToken)
    {
        var newest = System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "derbes-*" + Extension).Max(StringComparer.Ordinal)
            : null;
        return newest is null ? null : await BackupManifest.ReadAsync(BackupManifest.PathFor(newest), cancellationToken);
    }

    /// <summary>The archive copies in the backup folder with their manifests, newest first.</summary>
    public async Task<List<(string Path, BackupManifest Manifest)>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<(string, BackupManifest)>();
        if (System.IO.Directory.Exists(Directory))
        {
            foreach (var path in System.IO.Directory.GetFiles(Directory, "derbes-*" + Extension))
            {
                list.Add((path, await BackupManifest.ReadAsync(BackupManifest.PathFor(path), cancellationToken)));
            }
        }
        return [.. list.OrderByDescending(c => c.Item2.CreatedAt)];
    }

    private async Task<RestoreReport> RestoreIntoAsync(string archive, string? keyCopy, string target, IDocumentStore? documents, CancellationToken cancellationToken)
    {
        var outer = await CheckedManifestAsync(archive, cancellationToken);
        var keyPath = keyCopy ?? (await keyCopies.ListAsync(cancellationToken)).Select(c => c.Path).FirstOrDefault()
            ?? throw new BackupException($"No key copy was given and none is in {keyCopies.Directory}: without one, no customer's data in the archive could be opened. Pass --keys FILE.");
        var work = WorkDirectory();
        try
        {
            var (databaseFile, inner, documentFiles) = await ExtractAsync(archive, work, keepDocuments: documents is not null, cancellationToken);
            if (inner.Name != outer.Name || inner.Provider != outer.Provider || !inner.Tables.OrderBy(t => t.Key).SequenceEqual(outer.Tables.OrderBy(t => t.Key)))
            {
                throw new BackupException("The manifest beside the archive does not match the one inside it: one of them was altered.");
            }
            if (inner.Provider != Copy.Provider.ToString())
            {
                throw new BackupException($"The archive is of a {inner.Provider} database; this instance runs on {Copy.Provider}.");
            }
            var restoredKeys = new List<DataKey>();
            await foreach (var key in keyCopies.ReadCheckedAsync(keyPath, cancellationToken))
            {
                restoredKeys.Add(key);
            }
            if (!await Copy.IsEmptyAsync(target, cancellationToken))
            {
                throw new BackupException("The database is not empty: an archive copy is restored only into an empty database.");
            }
            await Copy.LoadAsync(target, databaseFile, cancellationToken);

            int open;
            int destroyed;
            await using (var restored = Copy.Context(target))
            {
                var accounts = (await restored.Users.AsNoTracking().Select(a => a.Id).ToListAsync(cancellationToken)).ToHashSet();
                var vault = new PersonalDataVault(restored, keys, clock);
                var mine = restoredKeys.Where(k => accounts.Contains(k.AccountId)).ToList();
                open = mine.Count(vault.Unwraps);
                destroyed = mine.Count - open;
                foreach (var batch in mine.Chunk(2000))
                {
                    restored.DataKeys.AddRange(batch);
                    await restored.SaveChangesAsync(cancellationToken);
                    restored.ChangeTracker.Clear();
                }
            }
            if (documents is not null)
            {
                foreach (var (storageName, file) in documentFiles)
                {
                    await documents.PutAsync(storageName, await File.ReadAllBytesAsync(file, cancellationToken), cancellationToken);
                }
            }
            var tables = await Copy.CountAsync(target, cancellationToken);
            return new RestoreReport(inner, Path.GetFileName(keyPath), tables, open, destroyed, inner.DocumentHashes?.Count ?? 0);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            DeleteQuietly(work);
        }
    }

    private static async Task<BackupManifest> CheckedManifestAsync(string archive, CancellationToken cancellationToken)
    {
        if (!File.Exists(archive))
        {
            throw new BackupException($"The archive copy {archive} does not exist.");
        }
        var manifest = await BackupManifest.ReadAsync(BackupManifest.PathFor(archive), cancellationToken);
        if (manifest.Format != BackupManifest.CurrentFormat)
        {
            throw new BackupException($"The archive copy is in format {manifest.Format}; this version of Derbes reads format {BackupManifest.CurrentFormat}.");
        }
        await CheckFileAsync(archive, manifest.Size, manifest.Sha256, cancellationToken);
        return manifest;
    }

    /// <summary>
    /// Unpacks the whole archive into <paramref name="work"/> and checks it before anything is restored. Without
    /// <paramref name="keepDocuments"/> (a verification, which restores none) the documents are hashed and not written.
    /// </summary>
    private async Task<(string Database, BackupManifest Inner, List<(string Name, string File)> Documents)> ExtractAsync(
        string archive, string work, bool keepDocuments, CancellationToken cancellationToken)
    {
        string? databaseFile = null;
        BackupManifest? inner = null;
        var documentFiles = new List<(string, string)>();
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        System.IO.Directory.CreateDirectory(Path.Combine(work, "documents"));
        try
        {
            await using var file = File.OpenRead(archive);
            await using var plain = cipher.Decrypt(file, Purpose);
            await using var tar = new TarReader(plain);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType != TarEntryType.RegularFile || entry.DataStream is null)
                {
                    throw new BackupException($"The archive holds an unexpected entry '{entry.Name}'.");
                }
                if (entry.Name == DatabaseEntry)
                {
                    databaseFile = Path.Combine(work, "database");
                    await using var output = File.Create(databaseFile);
                    await using var unzipped = new GZipStream(entry.DataStream, CompressionMode.Decompress, leaveOpen: true);
                    await unzipped.CopyToAsync(output, cancellationToken);
                }
                else if (entry.Name.StartsWith(DocumentsPrefix, StringComparison.Ordinal) && IsStorageName(entry.Name[DocumentsPrefix.Length..]))
                {
                    var storageName = entry.Name[DocumentsPrefix.Length..];
                    var target = Path.Combine(work, "documents", storageName);
                    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    await using (var output = keepDocuments ? File.Create(target) : Stream.Null)
                    {
                        var buffer = new byte[81920];
                        int read;
                        while ((read = await entry.DataStream.ReadAsync(buffer, cancellationToken)) > 0)
                        {
                            sha.AppendData(buffer, 0, read);
                            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        }
                    }
                    hashes[storageName] = Convert.ToHexStringLower(sha.GetHashAndReset());
                    if (keepDocuments)
                    {
                        documentFiles.Add((storageName, target));
                    }
                }
                else if (entry.Name == ManifestEntry)
                {
                    inner = await JsonSerializer.DeserializeAsync<BackupManifest>(entry.DataStream, BackupManifest.Json, cancellationToken);
                }
                else
                {
                    throw new BackupException($"The archive holds an unexpected entry '{entry.Name}'" + (entry.Name.StartsWith("database/", StringComparison.Ordinal) ? ": it is of another database provider." : "."));
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or JsonException)
        {
            throw new BackupException("The archive is damaged inside its encryption: " + ex.Message);
        }
        if (inner is null || databaseFile is null)
        {
            throw new BackupException("The archive is incomplete: its database or its manifest is missing.");
        }
        var expected = inner.DocumentHashes ?? new Dictionary<string, string>();
        if (expected.Count != hashes.Count || expected.Any(h => !hashes.TryGetValue(h.Key, out var actual) || actual != h.Value))
        {
            throw new BackupException("The archive's documents do not match its manifest.");
        }
        return (databaseFile, inner, documentFiles);
    }

    private static bool IsStorageName(string name) => name.Length == 32 && name.All(char.IsAsciiHexDigitLower);

    /// <summary>Refuses a file whose size or SHA-256 is not the one its manifest recorded.</summary>
    internal static async Task CheckFileAsync(string path, long size, string sha256, CancellationToken cancellationToken)
    {
        var (actualSize, actualSha) = await HashFileAsync(path, cancellationToken);
        if (actualSize < size)
        {
            throw new BackupException($"{Path.GetFileName(path)} is truncated: {actualSize} bytes, its manifest says {size}.");
        }
        if (actualSize != size || !string.Equals(actualSha, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new BackupException($"{Path.GetFileName(path)} was altered: its SHA-256 is not the one in its manifest.");
        }
    }

    internal static async Task<(long Size, string Sha256)> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    private static List<(string Table, string Column)> StorageColumns(DerbesDb db)
    {
        var columns = new List<(string, string)>();
        foreach (var (type, property) in new[] { (typeof(CustomerDocument), nameof(CustomerDocument.StorageName)), (typeof(RequestAttachment), nameof(RequestAttachment.StorageName)) })
        {
            var entity = db.Model.FindEntityType(type)!;
            var table = entity.GetTableName()!;
            columns.Add((table, entity.FindProperty(property)!.GetColumnName(Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table, entity.GetSchema()))!));
        }
        return columns;
    }

    private string WorkDirectory()
    {
        var work = data.Resolve(Path.Combine(".backup-work", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))));
        System.IO.Directory.CreateDirectory(work);
        return work;
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory))
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Path}, left over by an archive copy, restore or verification that was stopped midway")]
    private static partial void LogLeftoverRemoved(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive copy {Name} written: {Size} bytes, {Documents} documents")]
    private static partial void LogCreated(ILogger logger, string name, long size, int documents);
}

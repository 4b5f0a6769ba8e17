using System.Data.Common;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using Derbes.Web.Backups;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Derbes.Web.Tests.Backups;

/// <summary>
/// Archive copies (policy 3.3) and destruction that reaches them (Art. 18): an archive restored elsewhere holds every
/// table as it was; a destroyed customer's data in an old archive stays unreadable while everyone else's opens; a
/// damaged, altered, foreign or misplaced archive is refused with a message an operator can act on.
/// </summary>
public sealed class BackupTests
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };

    private sealed record Site(DerbesApp App, NewCustomer Kept, Guid KeptId, NewCustomer Leaving, Guid LeavingId, Browser LeavingBrowser) : IDisposable
    {
        public void Dispose()
        {
            LeavingBrowser.Dispose();
            App.Dispose();
        }
    }

    private static async Task<Site> SeededAsync()
    {
        // The destruction and backup jobs run when the test says so (their first runs are at start).
        var app = new DerbesApp(new() { ["Retention:CheckInterval"] = "40.00:00:00", ["Backup:CheckInterval"] = "40.00:00:00" });
        using (var browser = app.NewBrowser())
        {
            var kept = await Journeys.RegisteredAndConfirmedAsync(app, browser);
            var leavingBrowser = app.NewBrowser();
            var leaving = await Journeys.RegisteredAndConfirmedAsync(app, leavingBrowser);
            Assert.Equal("/cabinet", (await Journeys.SignInAsync(leavingBrowser, leaving.Email, leaving.Password)).Url.AbsolutePath);
            await CustomerSeed.AddAsync(app, 25, _ => false);
            await QuietAsync(app);
            return new Site(app, kept, await app.AccountIdAsync(kept.Email), leaving, await app.AccountIdAsync(leaving.Email), leavingBrowser);
        }
    }

    /// <summary>Waits until the outbox has sent everything, so nothing changes in the database while a test compares it.</summary>
    private static async Task QuietAsync(DerbesApp app)
    {
        for (var i = 0; i < 200 && await app.WithDbAsync(db => db.Outbox.AnyAsync(m => m.SentAt == null)); i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>A new, empty instance's settings: its own data folder with the source's key file, its own empty database.</summary>
    private static Dictionary<string, string?> EmptyInstance(DerbesApp source, bool sameKeys = true)
    {
        var data = Path.Combine(Path.GetTempPath(), "derbes-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(data, "keys"));
        if (sameKeys)
        {
            File.Copy(Path.Combine(source.DataDirectory, "keys", "master-keys.json"), Path.Combine(data, "keys", "master-keys.json"));
        }
        var settings = new Dictionary<string, string?>
        {
            ["Data:Directory"] = data,
            // The key copies stay where the source wrote them: restore finds the newest there.
            ["Backup:KeyDirectory"] = Path.Combine(source.DataDirectory, "backup-keys"),
        };
        if (TestDatabase.PostgresServer is { } server)
        {
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Derbes"] = TestDatabase.CreatePostgres(server);
        }
        return settings;
    }

    private static async Task<(BackupManifest Manifest, string Path, string Output)> BackupAsync(DerbesApp app)
    {
        using var output = new StringWriter();
        Assert.Equal(0, await Commands.BackupAsync(app.Services, output, CancellationToken.None));
        var archives = app.Service<ArchiveCopies>();
        var (path, manifest) = (await archives.ListAsync(CancellationToken.None)).First();
        return (manifest, path, output.ToString());
    }

    [Fact]
    public async Task AnArchiveRestoredIntoAnEmptyInstanceHoldsEveryTableAsItWasAndItsCustomersSignIn()
    {
        using var site = await SeededAsync();
        var (manifest, archive, printed) = await BackupAsync(site.App);
        Assert.Contains("archive copy: " + archive, printed, StringComparison.Ordinal);
        Assert.True(manifest.Documents >= 2, "the registered customers' documents are in the archive");
        Assert.Equal(await site.App.WithDbAsync(db => db.Users.CountAsync()), manifest.Tables["AspNetUsers"]);
        var before = await DumpAsync(site.App.Database, Path.Combine(site.App.DataDirectory, "derbes.db"));

        var target = EmptyInstance(site.App);
        var (code, output) = await OperatorCommand.RunAsync(target, "restore", archive);
        Assert.True(code == 0, output);
        Assert.Contains($"restored {manifest.Name}", output, StringComparison.Ordinal);
        var after = await DumpAsync(target.GetValueOrDefault("ConnectionStrings:Derbes"), Path.Combine(target["Data:Directory"]!, "derbes.db"));

        // Every table, row for row; the source has since recorded one more audit entry: that it made the copy.
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var table in before.Keys.Where(t => t != "AuditEntries"))
        {
            Assert.True(before[table].SequenceEqual(after[table]), $"table {table} differs after the restore");
        }
        Assert.Equal(before["AuditEntries"].Count - 1, after["AuditEntries"].Count);
        Assert.Empty(after["AuditEntries"].Except(before["AuditEntries"]));

        // The restored instance runs: a customer signs in with their password and their documents open.
        using var restored = new DerbesApp(target, postgres: target.GetValueOrDefault("ConnectionStrings:Derbes"));
        using var browser = restored.NewBrowser();
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, site.Kept.Email, site.Kept.Password)).Url.AbsolutePath);
        var profile = await browser.GetAsync("/cabinet/profile");
        Assert.Equal(site.Kept.FirstName, profile.Document.QuerySelector("input[name='Names.FirstName']")?.GetAttribute("value"));
        await using var scope = restored.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var document = await db.Documents.AsNoTracking().FirstAsync(d => d.AccountId == site.KeptId);
        var store = scope.ServiceProvider.GetRequiredService<Derbes.Web.Documents.IDocumentStore>();
        Assert.NotNull(await store.GetAsync(document.StorageName, CancellationToken.None));

        // Restoring again into the now-used instance is refused, and changes nothing.
        var (again, refusal) = await OperatorCommand.RunAsync(target, "restore", archive);
        Assert.Equal(1, again);
        Assert.Contains("not empty", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACopyRemovesWhatAnInterruptedCopyLeftADayAgoAndNothingNewer()
    {
        using var site = await SeededAsync();
        var archives = site.App.Service<ArchiveCopies>();
        Directory.CreateDirectory(archives.Directory);
        var workRoot = Path.Combine(site.App.DataDirectory, ".backup-work");
        var old = DateTime.UtcNow - ArchiveCopies.LeftoverAge - TimeSpan.FromHours(1);
        var recent = DateTime.UtcNow - TimeSpan.FromHours(2);

        // A copy killed two days ago: its work folder with the plain database copy, its unfinished archive and manifest.
        var staleWork = Path.Combine(workRoot, "0123456789abcdef");
        Directory.CreateDirectory(staleWork);
        var staleSnapshot = Path.Combine(staleWork, "derbes.sqlite");
        await File.WriteAllTextAsync(staleSnapshot, "a plain copy of the database");
        File.SetLastWriteTimeUtc(staleSnapshot, old);
        Directory.SetLastWriteTimeUtc(staleWork, old);
        var stalePartial = Path.Combine(archives.Directory, "derbes-20261125T030000Z.dbk.partial");
        await File.WriteAllTextAsync(stalePartial, "half an archive");
        File.SetLastWriteTimeUtc(stalePartial, old);
        // A copy another process is making now (written two hours ago at most): its files stay.
        var liveWork = Path.Combine(workRoot, "fedcba9876543210");
        Directory.CreateDirectory(liveWork);
        var liveSnapshot = Path.Combine(liveWork, "derbes.sqlite");
        await File.WriteAllTextAsync(liveSnapshot, "another process's snapshot");
        File.SetLastWriteTimeUtc(liveSnapshot, recent);
        Directory.SetLastWriteTimeUtc(liveWork, old); // the folder is old, but a file in it was written since
        var livePartial = Path.Combine(archives.Directory, "derbes-20261127T030000Z.dbk.partial");
        await File.WriteAllTextAsync(livePartial, "an archive being written");
        File.SetLastWriteTimeUtc(livePartial, recent);

        var (manifest, archive, _) = await BackupAsync(site.App);

        Assert.False(Directory.Exists(staleWork));
        Assert.False(File.Exists(stalePartial));
        Assert.True(File.Exists(liveSnapshot));
        Assert.True(File.Exists(livePartial));
        // The copy itself leaves no work folder and no unfinished file of its own.
        Assert.Equal([liveWork], Directory.GetDirectories(workRoot));
        Assert.Equal([livePartial], Directory.GetFiles(archives.Directory, "*.partial"));
        Assert.True(File.Exists(archive));
        Assert.Equal(Path.GetFileName(archive), manifest.Name);
    }

    [Fact]
    public async Task TheArchiveHoldsNoCustomerKeyAndIsUnreadableWithoutTheKeyFile()
    {
        using var site = await SeededAsync();
        var (_, archive, _) = await BackupAsync(site.App);
        var wrapped = await site.App.WithDbAsync(db => db.DataKeys.AsNoTracking().Select(k => k.WrappedKey!).ToListAsync());
        Assert.NotEmpty(wrapped);
        var raw = await File.ReadAllBytesAsync(archive);
        Assert.DoesNotContain("SQLite format", System.Text.Encoding.ASCII.GetString(raw), StringComparison.Ordinal);

        // Opened with the site's own key: the database inside has the key table empty, and none of the keys' bytes.
        var database = await DatabaseEntryAsync(site.App, archive);
        Assert.True(database.Length > 0);
        foreach (var key in wrapped)
        {
            Assert.Equal(-1, database.AsSpan().IndexOf(key));
        }
        if (!site.App.OnPostgres)
        {
            var file = Path.Combine(site.App.DataDirectory, "inside.sqlite");
            await File.WriteAllBytesAsync(file, database);
            await using var connection = new SqliteConnection($"Data Source={file};Pooling=false");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM \"DataKeys\"";
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }

        // Another site's key file (same key name, other bytes) cannot open it.
        var foreign = EmptyInstance(site.App, sameKeys: false);
        var (code, output) = await OperatorCommand.RunAsync(foreign, "verify-backup", archive);
        Assert.Equal(1, code);
        Assert.Contains("cannot be opened with this instance's key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyBackupRestoresIntoATemporaryDatabaseAndChecksCountsChainsDocumentsAndKeys()
    {
        using var site = await SeededAsync();
        var (manifest, archive, _) = await BackupAsync(site.App);
        using var output = new StringWriter();
        Assert.Equal(0, await Commands.RestoreAsync(site.App.Services, "verify-backup", [archive], output, CancellationToken.None));
        var printed = output.ToString();
        Assert.Contains("verify-backup: OK", printed, StringComparison.Ordinal);
        Assert.Contains("audit trail: intact", printed, StringComparison.Ordinal);
        Assert.Contains("consent ledger: intact", printed, StringComparison.Ordinal);
        var keys = await site.App.WithDbAsync(db => db.DataKeys.CountAsync());
        Assert.Contains($"customer keys: {keys} open, 0 destroyed", printed, StringComparison.Ordinal);
        Assert.Contains($"documents ({manifest.Documents}) verified", printed, StringComparison.Ordinal);
        // The temporary database is gone; the site's own is untouched.
        Assert.Empty(Directory.GetDirectories(Path.Combine(site.App.DataDirectory, ".backup-work")));
    }

    [Fact]
    public async Task VerifyBackupRemovesWhatAVerificationKilledADayAgoLeftAndNothingNewer()
    {
        using var site = await SeededAsync();
        var (_, archive, _) = await BackupAsync(site.App);
        // A verification killed two days ago left its work folder (on SQLite, the restored database is in it).
        var workRoot = Path.Combine(site.App.DataDirectory, ".backup-work");
        var staleWork = Path.Combine(workRoot, "00112233445566778");
        Directory.CreateDirectory(staleWork);
        var restored = Path.Combine(staleWork, "verify.sqlite");
        await File.WriteAllTextAsync(restored, "a restored copy of the data");
        var old = DateTime.UtcNow - ArchiveCopies.LeftoverAge - TimeSpan.FromHours(1);
        File.SetLastWriteTimeUtc(restored, old);
        Directory.SetLastWriteTimeUtc(staleWork, old);
        // On PostgreSQL it also left its temporary database; another verification's, made an hour ago, is still in use.
        string? staleDatabase = null, liveDatabase = null;
        if (site.App.OnPostgres)
        {
            staleDatabase = TemporaryDatabase(old);
            liveDatabase = TemporaryDatabase(DateTime.UtcNow - TimeSpan.FromHours(1));
            await AdminAsync(site.App, $"CREATE DATABASE \"{staleDatabase}\"");
            await AdminAsync(site.App, $"CREATE DATABASE \"{liveDatabase}\"");
        }
        try
        {
            using var output = new StringWriter();
            Assert.Equal(0, await Commands.RestoreAsync(site.App.Services, "verify-backup", [archive], output, CancellationToken.None));
            Assert.Contains("verify-backup: OK", output.ToString(), StringComparison.Ordinal);
            Assert.Empty(Directory.GetDirectories(workRoot));
            if (site.App.OnPostgres)
            {
                var left = await DatabasesAsync(site.App);
                Assert.DoesNotContain(staleDatabase, left);
                Assert.Contains(liveDatabase, left);
            }
        }
        finally
        {
            if (liveDatabase is not null)
            {
                await AdminAsync(site.App, $"DROP DATABASE IF EXISTS \"{liveDatabase}\"");
            }
        }

        static string TemporaryDatabase(DateTime made) =>
            ArchiveCopies.TemporaryDatabasePrefix + made.ToString(ArchiveCopies.TemporaryDatabaseStamp, System.Globalization.CultureInfo.InvariantCulture)
            + "_" + Guid.NewGuid().ToString("N")[..12];

        static async Task AdminAsync(DerbesApp app, string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(app.Database!) { Pooling = false }.ToString());
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        static async Task<List<string>> DatabasesAsync(DerbesApp app)
        {
            await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(app.Database!) { Pooling = false }.ToString());
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT datname FROM pg_database", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var names = new List<string>();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
            return names;
        }
    }

    [Fact]
    public async Task ADestroyedCustomersDataInAnOldArchiveCannotBeOpenedWhileEveryoneElsesCan()
    {
        using var site = await SeededAsync();
        var (_, archive, _) = await BackupAsync(site.App);

        // The leaving customer closes their account; after the grace period they are destroyed, and their key with them.
        var close = await site.LeavingBrowser.GetAsync("/cabinet/close");
        await site.LeavingBrowser.SubmitAsync(close, new Dictionary<string, string> { ["Password"] = site.Leaving.Password, ["Understand"] = "true" });
        site.App.Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromMinutes(1));
        Assert.True(await site.App.Service<AccountDestruction>().PurgeDueAsync(CancellationToken.None) > 0);
        // The schedule's next look rewrites the key copy written with the archive, without the destroyed key.
        Assert.Equal(1, await site.App.Service<BackupSchedule>().ForgetDestroyedKeysAsync(CancellationToken.None));
        Assert.Equal(0, await site.App.Service<BackupSchedule>().ForgetDestroyedKeysAsync(CancellationToken.None));

        var target = EmptyInstance(site.App);
        var (code, output) = await OperatorCommand.RunAsync(target, "restore", archive);
        Assert.True(code == 0, output);
        var keys = await site.App.WithDbAsync(db => db.DataKeys.CountAsync());
        Assert.Contains($"customer keys: {keys - 1} open, 1 destroyed", output, StringComparison.Ordinal);

        using var restored = new DerbesApp(target, postgres: target.GetValueOrDefault("ConnectionStrings:Derbes"));
        await using var scope = restored.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var vault = scope.ServiceProvider.GetRequiredService<PersonalDataVault>();
        var directory = scope.ServiceProvider.GetRequiredService<AccountDirectory>();
        // The old archive still holds the leaving customer's sealed name, email and document: they no longer open.
        var leaving = await db.Users.AsNoTracking().SingleAsync(a => a.Id == site.LeavingId);
        Assert.Equal(AccountStatus.Active, leaving.Status);
        Assert.NotEmpty(leaving.SealedEmail);
        Assert.False(vault.CanOpen(site.LeavingId));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => directory.Open(leaving));
        var theirs = await db.Documents.AsNoTracking().FirstAsync(d => d.AccountId == site.LeavingId);
        var store = scope.ServiceProvider.GetRequiredService<Derbes.Web.Documents.IDocumentStore>();
        var sealedBytes = await store.GetAsync(theirs.StorageName, CancellationToken.None);
        Assert.NotNull(sealedBytes);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => vault.Open(site.LeavingId, Derbes.Web.Documents.DocumentIntake.FieldOf(theirs.Id), sealedBytes));
        // Everyone else's data opens.
        var kept = await db.Users.AsNoTracking().SingleAsync(a => a.Id == site.KeptId);
        Assert.Equal(site.Kept.Email, directory.Open(kept).Email);
        var mine = await db.Documents.AsNoTracking().FirstAsync(d => d.AccountId == site.KeptId);
        Assert.NotEmpty(vault.Open(site.KeptId, Derbes.Web.Documents.DocumentIntake.FieldOf(mine.Id), (await store.GetAsync(mine.StorageName, CancellationToken.None))!));
    }

    [Fact]
    public async Task ATruncatedAlteredOrReforgedArchiveAndAMissingKeyCopyAreRefusedWithAClearMessage()
    {
        using var site = await SeededAsync();
        var (manifest, archive, _) = await BackupAsync(site.App);
        var original = await File.ReadAllBytesAsync(archive);
        var target = EmptyInstance(site.App);

        async Task<string> RefusedAsync(byte[] bytes, BackupManifest? forged = null)
        {
            await File.WriteAllBytesAsync(archive, bytes);
            if (forged is not null)
            {
                await File.WriteAllTextAsync(BackupManifest.PathFor(archive), System.Text.Json.JsonSerializer.Serialize(forged, Json));
            }
            var (code, output) = await OperatorCommand.RunAsync(target, "restore", archive);
            Assert.Equal(1, code);
            Assert.True(await IsEmptyAsync(target), "a refused restore leaves the database empty");
            return output;
        }

        Assert.Contains("is truncated", await RefusedAsync(original[..(original.Length / 2)]), StringComparison.Ordinal);
        var altered = (byte[])original.Clone();
        altered[original.Length / 2] ^= 0x01;
        Assert.Contains("was altered", await RefusedAsync(altered), StringComparison.Ordinal);
        // Someone who alters the file and rewrites its manifest to match is still caught: the chunk does not authenticate.
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(altered));
        Assert.Contains("the file was altered", await RefusedAsync(altered, manifest with { Sha256 = sha }), StringComparison.Ordinal);
        // Cut at a chunk boundary with a matching manifest: the last chunk is missing.
        var cut = original[..Math.Min(original.Length - 1, 8 + 2 + 2 + 32)];
        Assert.Contains("truncated", await RefusedAsync(cut, manifest with { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(cut)), Size = cut.Length }), StringComparison.Ordinal);

        // A copy in a layout this version does not read is refused by its manifest, before a byte of it is opened.
        Assert.Contains("format 1", await RefusedAsync(original, manifest with { Format = 1 }), StringComparison.Ordinal);

        await File.WriteAllBytesAsync(archive, original);
        await File.WriteAllTextAsync(BackupManifest.PathFor(archive), System.Text.Json.JsonSerializer.Serialize(manifest, Json));
        target["Backup:KeyDirectory"] = Path.Combine(target["Data:Directory"]!, "no-keys-here");
        var (missing, said) = await OperatorCommand.RunAsync(target, "restore", archive);
        Assert.Equal(1, missing);
        Assert.Contains("--keys", said, StringComparison.Ordinal);
        var (usage, help) = await OperatorCommand.RunAsync(target, "restore");
        Assert.Equal(2, usage);
        Assert.Contains("usage: restore ARCHIVE", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABackupTakenWhileCustomersSignInFailsNoSignInAndVerifies()
    {
        using var site = await SeededAsync();
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var successes = 0;
        async Task SignInsAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                using var browser = site.App.NewBrowser();
                var page = await Journeys.SignInAsync(browser, site.Kept.Email, site.Kept.Password);
                if (page.Url.AbsolutePath == "/cabinet")
                {
                    Interlocked.Increment(ref successes);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }
        var load = Enumerable.Range(0, 3).Select(_ => Task.Run(SignInsAsync)).ToList();
        await Task.Delay(300);
        var (_, archive, _) = await BackupAsync(site.App);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.Equal(0, failures);
        Assert.True(successes > 0);
        using var output = new StringWriter();
        Assert.True(await Commands.RestoreAsync(site.App.Services, "verify-backup", [archive], output, CancellationToken.None) == 0, output.ToString());
    }

    [Fact]
    public async Task TheScheduleCopiesDailyAtThreeInAlmatyAndDeletesCopiesPastTheirRetention()
    {
        // 02:59 Almaty. The job itself stays off (its looks would race the test's); the test makes its looks.
        using var app = new DerbesApp(new() { ["Backup:Retention"] = "5.00:00:00", ["Backup:KeyRetention"] = "2.00:00:00" }, startAt: new DateTimeOffset(2026, 11, 25, 21, 59, 0, TimeSpan.Zero));
        await CustomerSeed.AddAsync(app, 3, _ => false);
        var schedule = app.Service<BackupSchedule>();
        var archives = app.Service<ArchiveCopies>();
        var keyCopies = app.Service<KeyCopies>();
        // Never copied: a copy is due at once (the site was down, or just installed).
        Assert.True(await schedule.DueAsync(CancellationToken.None));
        var first = await schedule.RunScheduledAsync(CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal("scheduled", first.Origin);
        Assert.False(await schedule.DueAsync(CancellationToken.None));
        Assert.Null(await schedule.RunScheduledAsync(CancellationToken.None));
        // At 03:00 the day's copy is due.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await schedule.DueAsync(CancellationToken.None));
        Assert.NotNull(await schedule.RunScheduledAsync(CancellationToken.None));
        Assert.False(await schedule.DueAsync(CancellationToken.None));
        // A site that was down at 03:00 makes the day's copy at its next look.
        app.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(5));
        Assert.True(await schedule.DueAsync(CancellationToken.None));

        // Six daily copies later the first two are past their five days and gone; key copies are kept two days, the newest always.
        Assert.NotNull(await schedule.RunScheduledAsync(CancellationToken.None));
        for (var day = 1; day < 6; day++)
        {
            app.Clock.Advance(TimeSpan.FromDays(1));
            Assert.NotNull(await schedule.RunScheduledAsync(CancellationToken.None));
        }
        var left = await archives.ListAsync(CancellationToken.None);
        Assert.DoesNotContain(left, c => c.Manifest.Name == first.Name);
        Assert.Equal(6, left.Count);
        Assert.Equal(3, (await keyCopies.ListAsync(CancellationToken.None)).Count);
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action.StartsWith("backup.")).Select(e => new { e.Action, e.Subject }).ToListAsync());
        Assert.Equal(8, audit.Count(e => e.Action == "backup.created"));
        Assert.Contains(audit, e => e.Action == "backup.deleted" && e.Subject == first.Name);
    }

    /// <summary>The database file inside an archive, read with the site's own key as restore reads it.</summary>
    private static async Task<byte[]> DatabaseEntryAsync(DerbesApp app, string archive)
    {
        await using var file = File.OpenRead(archive);
        await using var plain = app.Service<ArchiveCipher>().Decrypt(file, "archive");
        await using var tar = new TarReader(plain);
        while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
        {
            if (entry.Name.StartsWith("database/", StringComparison.Ordinal))
            {
                Assert.EndsWith(".gz", entry.Name, StringComparison.Ordinal);
                using var bytes = new MemoryStream();
                await using var unzipped = new GZipStream(entry.DataStream!, CompressionMode.Decompress);
                await unzipped.CopyToAsync(bytes);
                return bytes.ToArray();
            }
        }
        throw new InvalidOperationException("No database in the archive.");
    }

    private static async Task<bool> IsEmptyAsync(Dictionary<string, string?> instance)
    {
        var tables = await DumpAsync(instance.GetValueOrDefault("ConnectionStrings:Derbes"), Path.Combine(instance["Data:Directory"]!, "derbes.db"));
        return tables.Count == 0;
    }

    /// <summary>Every row of every table, each row as text (binary as hex), sorted: what two databases are compared by.</summary>
    private static async Task<Dictionary<string, List<string>>> DumpAsync(string? postgres, string sqliteFile)
    {
        if (postgres is null && !File.Exists(sqliteFile))
        {
            return [];
        }
        await using DbConnection connection = postgres is null
            ? new SqliteConnection($"Data Source={sqliteFile};Pooling=false")
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Pooling = false }.ToString());
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = postgres is null
                ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                : "SELECT tablename FROM pg_tables WHERE schemaname = 'public'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new Dictionary<string, List<string>>();
        foreach (var table in tables)
        {
            var rows = new List<string>();
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = new string[reader.FieldCount];
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    values[i] = value switch
                    {
                        byte[] bytes => Convert.ToHexString(bytes),
                        DBNull => "NULL",
                        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                        _ => value.ToString() ?? "",
                    };
                }
                rows.Add(string.Join('|', values));
            }
            rows.Sort(StringComparer.Ordinal);
            dump[table] = rows;
        }
        return dump;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Derbes.Web.Api;
using Derbes.Web.Backups;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Derbes.Bench;

/// <summary>What one provider's backup run measured.</summary>
internal sealed record BackupResult(
    string Provider,
    int Customers,
    int Documents,
    int DocumentKiB,
    long DatabaseBytes,
    long DocumentBytes,
    double BackupSeconds,
    long ArchiveBytes,
    long KeyCopyBytes,
    double VerifySeconds,
    bool Verified,
    double IdleP50,
    double IdleP99,
    double DuringP50,
    double DuringP99,
    double AfterP99,
    int DuringCount,
    int Failures)
{
    /// <summary>
    /// The idle reference: the faster of the two idle windows, before and after the backup. The one before can still
    /// carry the JIT's tiering (the warm-up is short), which would flatter the ratio.
    /// </summary>
    public double ReferenceP99 => Math.Min(IdleP99, AfterP99);

    public bool Pass => Verified && Failures == 0 && DuringP99 <= 2 * ReferenceP99;
}

/// <summary>
/// Issue 9's benchmark: an archive copy of a million customers with 100,000 documents, and its verified restore. The
/// customers are loaded as the other benchmarks load them (the app's sealing, data keys and blind indexes), the
/// documents go through the app's own <see cref="DocumentIntake"/> (sealed with their owner's key, in the file-system
/// store, each with its row). The built site serves sign-ins from its own process; while the sign-ins go on, the site's
/// <c>backup</c> command runs in a process of its own (at <see cref="BackupOptions.Nice"/>, as the site's schedule runs
/// it), then this process builds the app's services over the same configuration and calls
/// <see cref="ArchiveCopies.VerifyAsync"/>.
/// Target: the sign-in p99 during the backup at most 2× the idle p99 (the faster of the windows before and after it),
/// no failed sign-in, and the copy verifies.
/// </summary>
internal static class BackupBench
{
    private const int Chunk = 500;
    private static readonly string[] SqliteFiles = ["derbes.db", "derbes.db-wal"];

    public static async Task<int> RunAsync(string root, string[] args)
    {
        var numbers = new List<int>();
        var providers = new List<BenchProvider> { BenchProvider.Postgres };
        int? documentKiB = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sqlite":
                    providers.Add(BenchProvider.Sqlite);
                    break;
                case "--sqlite-only":
                    providers = [BenchProvider.Sqlite];
                    break;
                case "--document-kb" when i + 1 < args.Length:
                    documentKiB = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    numbers.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
                    break;
            }
        }
        var customers = numbers.Count > 0 ? numbers[0] : 1_000_000;
        var documents = Math.Min(customers, numbers.Count > 1 ? numbers[1] : 100_000);
        var signIns = int.TryParse(Environment.GetEnvironmentVariable("BENCH_SIGNINS"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 200;
        var clients = int.TryParse(Environment.GetEnvironmentVariable("BENCH_CLIENTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 2;

        var free = new DriveInfo(Path.GetTempPath()).AvailableFreeSpace;
        var kib = documentKiB ?? DocumentSize(free, customers, documents);
        Console.WriteLine($"Derbes archive copies: {Environment.ProcessorCount} cores, {customers:N0} customers, {documents:N0} documents of {kib} KiB, "
            + $"{clients} sign-in clients, {signIns} sign-ins idle; {free / (1024.0 * 1024 * 1024):F0} GiB free under {Path.GetTempPath()}; load average {LoadAverage()}");
        if (documentKiB is null)
        {
            Console.WriteLine($"  (document size chosen so that the documents and the archive, ~2.2× the documents, stay under half the free space; --document-kb N to choose)");
        }

        var results = new List<BackupResult>();
        foreach (var provider in providers)
        {
            results.Add(await RunOneAsync(root, provider, customers, documents, kib, signIns, clients));
        }
        Console.WriteLine();
        Console.WriteLine("| Provider | Customers | Documents | Database | Documents on disk | Backup | Archive | Key copy | Verify | Sign-in p50 / p99 idle | during backup (n) | p99 after | p99 ≤ 2× the faster idle |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Provider} | {r.Customers:N0} | {r.Documents:N0} × {r.DocumentKiB} KiB | {Size(r.DatabaseBytes)} | {Size(r.DocumentBytes)} | {r.BackupSeconds:F1} s | {Size(r.ArchiveBytes)} | {Size(r.KeyCopyBytes)} | {r.VerifySeconds:F1} s {(r.Verified ? "OK" : "FAILED")} | {r.IdleP50:F0} / {r.IdleP99:F0} ms | {r.DuringP50:F0} / {r.DuringP99:F0} ms ({r.DuringCount}) | {r.AfterP99:F0} ms | {(r.DuringP99 <= 2 * r.ReferenceP99 ? "PASS" : "FAIL")} {r.DuringP99 / r.ReferenceP99:F2}× |"));
        }
        var pass = results.All(r => r.Pass);
        Console.WriteLine(pass ? "Archive copies PASS" : "Archive copies FAIL");
        return pass ? 0 : 1;
    }

    /// <summary>The largest of 300, 200, 100, 50 and 20 KiB whose run fits in half the free space (at least 20 KiB).</summary>
    private static int DocumentSize(long free, int customers, int documents)
    {
        // The database, its dump, the restored copy and the archive's share of it: ~8 KB per customer, generously.
        var budget = free / 2 - (long)customers * 8_000;
        foreach (var kib in new[] { 300, 200, 100, 50 })
        {
            if (2.2 * documents * kib * 1024 <= budget)
            {
                return kib;
            }
        }
        return 20;
    }

    private static async Task<BackupResult> RunOneAsync(string root, BenchProvider provider, int customers, int documents, int kib, int signIns, int clients)
    {
        var name = provider == BenchProvider.Postgres ? "PostgreSQL" : "SQLite";
        Console.WriteLine();
        Console.WriteLine($"== {name}");
        var data = Path.Combine(Path.GetTempPath(), "derbes-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        PostgresCluster? cluster = null;
        Process? site = null;
        try
        {
            var keys = new MasterKeyRing(Options.Create(new KeyOptions()), new DataDirectory(data));
            var index = new BlindIndex(keys);
            string hash;
            using (var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions())))
            {
                hash = hasher.Hash(SignInBench.Password);
            }
            Func<DerbesDb> newDb;
            string connectionString;
            var load = Stopwatch.StartNew();
            if (provider == BenchProvider.Postgres)
            {
                cluster = await PostgresCluster.StartAsync(root);
                await cluster.TuneForBulkLoadAsync();
                connectionString = await cluster.CreateDatabaseAsync("derbes_backup");
                var options = new DbContextOptionsBuilder<PostgresDerbesDb>().UseNpgsql(connectionString)
                    .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning)).Options;
                newDb = () => new PostgresDerbesDb(options);
                await using (var db = newDb())
                {
                    await db.Database.MigrateAsync();
                }
                ScaleCheck.Load(connectionString, options, keys, index, hash, customers);
            }
            else
            {
                connectionString = $"Data Source={Path.Combine(data, "derbes.db")}";
                var options = new DbContextOptionsBuilder<SqliteDerbesDb>().UseSqlite(connectionString + ";Default Timeout=60")
                    .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning)).Options;
                newDb = () => new SqliteDerbesDb(options);
                await using (var db = newDb())
                {
                    await db.Database.MigrateAsync();
                    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL");
                }
                await SeedSqliteAsync(newDb, keys, index, hash, customers);
            }
            Console.WriteLine($"Loaded {customers:N0} customers (data keys, sealed profiles, processing consents) in {load.Elapsed.TotalSeconds:F0} s");

            var stored = Stopwatch.StartNew();
            var documentBytes = await AddDocumentsAsync(newDb, keys, data, documents, kib);
            Console.WriteLine($"Stored {documents:N0} documents ({kib} KiB each before sealing) through DocumentIntake in {stored.Elapsed.TotalSeconds:F0} s: {Size(documentBytes)} on disk");
            if (provider == BenchProvider.Postgres)
            {
                await ScaleCheck.ExecuteAsync(connectionString, "ANALYZE");
            }
            else
            {
                await using var db = newDb();
                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            var databaseBytes = await DatabaseSizeAsync(provider, connectionString, data);
            Console.WriteLine($"Database: {Size(databaseBytes)}");

            var settings = new Dictionary<string, string>
            {
                ["Database__Provider"] = provider == BenchProvider.Postgres ? "Postgres" : "Sqlite",
                ["ConnectionStrings__Derbes"] = connectionString,
                // The benchmark makes the copy itself, when the idle figures are in.
                ["Backup__Scheduled"] = "false",
                ["Outbox__Enabled"] = "false",
            };
            var baseUrl = $"http://127.0.0.1:{BenchPaths.FreePort()}";
            site = BenchSite.Start(root, data, baseUrl, settings);
            await BenchSite.WaitReadyAsync(baseUrl, site);

            // The app's services over the site's configuration and data folder, as `dotnet Derbes.Web.dll backup` builds them.
            await using var app = BuildApp(root, data, settings);
            var archives = app.Services.GetRequiredService<ArchiveCopies>();

            var warm = Stopwatch.StartNew();
            await SignInsAsync(baseUrl, customers, clients, count: null, until: Task.Delay(TimeSpan.FromSeconds(20)));
            Console.WriteLine($"Warm-up: {warm.Elapsed.TotalSeconds:F0} s of sign-ins");
            var idle = await SignInsAsync(baseUrl, customers, clients, count: signIns, until: null);
            Console.WriteLine($"Sign-ins idle: {idle.Latencies.Count}, p50 {P(idle.Latencies, 0.5):F0} ms, p99 {P(idle.Latencies, 0.99):F0} ms, {idle.Failures} failed; load average {LoadAverage()}");

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var withChildrenBefore = BenchPaths.CpuMs("/proc/self/stat", withWaitedChildren: true) / 1000;
            var serverBefore = cluster?.ServerCpuMs() ?? double.NaN;
            var backup = Stopwatch.StartNew();
            // The site's own `backup` command in its own process, as the site's schedule runs it (at Backup:Nice).
            var creating = BenchSite.CommandAsync(root, data, settings, "backup");
            var during = await SignInsAsync(baseUrl, customers, clients, count: null, until: creating);
            var (exitCode, commandOutput) = await creating;
            var backupSeconds = backup.Elapsed.TotalSeconds;
            Console.Write(string.Join("", commandOutput.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ')).Select(l => "  [backup] " + l + "\n")));
            if (exitCode != 0 || await archives.LatestAsync(CancellationToken.None) is not { } manifest)
            {
                throw new InvalidOperationException($"The backup command failed ({exitCode}): {commandOutput}");
            }
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            // The backup command's own CPU (with pg_dump's, which it waited for): what this process's waited children used.
            var backupCpu = BenchPaths.CpuMs("/proc/self/stat", withWaitedChildren: true) / 1000 - withChildrenBefore - cpu;
            var server = ((cluster?.ServerCpuMs() ?? double.NaN) - serverBefore) / 1000;
            var archivePath = Path.Combine(archives.Directory, manifest.Name);
            var keyCopyPath = Path.Combine(archives.KeyDirectory, manifest.KeyCopy);
            var keyCopyBytes = new FileInfo(keyCopyPath).Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Backup: {backupSeconds:F1} s; archive {manifest.Name} {Size(manifest.Size)} ({manifest.Tables.Values.Sum():N0} rows in {manifest.Tables.Count} tables, {manifest.Documents:N0} documents of {Size(manifest.DocumentBytes)}, {manifest.DocumentsMissing} missing); key copy {Size(keyCopyBytes)}"));
            Console.WriteLine(FormattableString.Invariant($"  CPU during the backup: the backup command {backupCpu:F1} s, this process (the sign-in clients) {cpu:F1} s")
                + (cluster is null ? "" : FormattableString.Invariant($", PostgreSQL server (pg_dump's backend and the site's) {server:F1} s")));
            Console.WriteLine($"Sign-ins during the backup: {during.Latencies.Count}, p50 {P(during.Latencies, 0.5):F0} ms, p99 {P(during.Latencies, 0.99):F0} ms, {during.Failures} failed "
                + $"({P(during.Latencies, 0.99) / P(idle.Latencies, 0.99):F2}× the idle p99 before it); load average {LoadAverage()}");
            var after = await SignInsAsync(baseUrl, customers, clients, count: signIns, until: null);
            var reference = Math.Min(P(idle.Latencies, 0.99), P(after.Latencies, 0.99));
            Console.WriteLine($"Sign-ins idle again after the backup: p50 {P(after.Latencies, 0.5):F0} ms, p99 {P(after.Latencies, 0.99):F0} ms, {after.Failures} failed; "
                + $"during / the faster idle p99 ({reference:F0} ms) = {P(during.Latencies, 0.99) / reference:F2}× (target ≤ 2×) {(P(during.Latencies, 0.99) <= 2 * reference ? "PASS" : "FAIL")}");
            await BenchSite.StopAsync(site);

            var verify = Stopwatch.StartNew();
            var (report, chains, problems) = await archives.VerifyAsync(archivePath, keyCopyPath, CancellationToken.None);
            var verifySeconds = verify.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Verify (restore into a temporary database and check): {verifySeconds:F1} s; {report.Tables.Values.Sum():N0} rows in {report.Tables.Count} tables, {report.Documents:N0} documents, keys {report.KeysOpen:N0} open / {report.KeysDestroyed:N0} destroyed; "
                + $"audit {chains.AuditEntries:N0} entries, consent ledger {chains.ConsentRecords:N0} records, chains {(chains.Intact ? "intact" : "BROKEN")}; {(problems.Count == 0 ? "OK" : "PROBLEMS: " + string.Join("; ", problems))}"));
            var verified = problems.Count == 0 && chains.Intact && report.Documents == documents && report.KeysOpen == customers;
            StageCosts(app.Services.GetRequiredService<ArchiveCipher>());
            Console.WriteLine($"Sizes: database {Size(databaseBytes)}, documents {Size(documentBytes)}, archive {Size(manifest.Size)} ({(double)manifest.Size / (databaseBytes + documentBytes):P0} of both), key copy {Size(keyCopyBytes)}");

            return new BackupResult(name, customers, documents, kib, databaseBytes, documentBytes, backupSeconds, manifest.Size, keyCopyBytes, verifySeconds, verified,
                P(idle.Latencies, 0.5), P(idle.Latencies, 0.99), P(during.Latencies, 0.5), P(during.Latencies, 0.99), P(after.Latencies, 0.99),
                during.Latencies.Count, idle.Failures + during.Failures + after.Failures);
        }
        finally
        {
            if (site is not null)
            {
                await BenchSite.StopAsync(site);
                site.Dispose();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The app's services, configured as the site is (same appsettings, same environment variables), not started.</summary>
    private static WebApplication BuildApp(string root, string data, Dictionary<string, string> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = Path.Combine(root, "src", "Derbes.Web"),
            EnvironmentName = "Development",
        });
        // Before AddDerbesOptions, which reads the data folder from the configuration.
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value))
            .Append(new("Data:Directory", data)));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddDerbesOptions();
        builder.AddDerbesDatabase();
        builder.AddDerbesIdentity();
        builder.AddDerbesServices();
        builder.AddDerbesWeb();
        builder.AddDerbesApi();
        return builder.Build();
    }

    /// <summary>
    /// SQLite has no bulk loader here: the same customers as <see cref="ScaleCheck.Load"/> builds (data key, sealed
    /// profile, blind indexes, processing consent chained by SaveChanges), through EF in batches.
    /// </summary>
    private static async Task SeedSqliteAsync(Func<DerbesDb> newDb, MasterKeyRing keys, BlindIndex index, string hash, int customers)
    {
        const string Wording = "I agree to the processing of my personal data under the policy, edition 1 (benchmark customer).";
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Wording)));
        await using (var db = newDb())
        {
            db.ConsentTexts.Add(new ConsentText { Sha256 = sha, Language = "kk", Text = Wording });
            await db.SaveChangesAsync();
        }
        var now = DateTimeOffset.UtcNow;
        var progress = Stopwatch.StartNew();
        const int Batch = 5_000;
        for (var start = 0; start < customers; start += Batch)
        {
            await using var db = newDb();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var vault = new PersonalDataVault(db, keys, TimeProvider.System);
            var directory = new AccountDirectory(db, index, vault);
            for (var i = start; i < Math.Min(customers, start + Batch); i++)
            {
                var account = Account.NewCustomer(now, "kk", (1_000_000_000 + i).ToString(CultureInfo.InvariantCulture));
                account.ConfirmEmail(now);
                account.PhoneNumberConfirmed = true;
                account.PasswordHash = hash;
                vault.CreateKey(account.Id);
                directory.Seal(account, new Profile("Айгерім", "Сейітова", $"customer{i}@scale.example.kz", $"+7701{i:D7}"));
                db.Users.Add(account);
                db.ConsentRecords.Add(new ConsentRecord
                {
                    AccountId = account.Id,
                    Purpose = ConsentPurpose.Processing,
                    Granted = true,
                    Action = ConsentAction.Grant,
                    EditionNumber = 1,
                    Language = "kk",
                    TextSha256 = sha,
                    At = now,
                });
            }
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            if ((start / Batch) % 20 == 19)
            {
                Console.WriteLine($"  {start + Batch:N0} seeded, {progress.Elapsed.TotalSeconds:F0} s");
            }
        }
    }

    /// <summary>
    /// One document for each of <paramref name="documents"/> customers, through the app's <see cref="DocumentIntake"/>:
    /// sealed with the owner's data key into the file-system store, with its row. The plaintext is random (a scan
    /// compresses little, and sealed bytes not at all). Returns the bytes stored.
    /// </summary>
    private static async Task<long> AddDocumentsAsync(Func<DerbesDb> newDb, MasterKeyRing keys, string data, int documents, int kib)
    {
        List<Guid> owners;
        await using (var db = newDb())
        {
            // By id: a random sample of the customers.
            owners = await db.Users.AsNoTracking().OrderBy(a => a.Id).Select(a => a.Id).Take(documents).ToListAsync();
        }
        var store = new FileSystemDocumentStore(new DataDirectory(data));
        var done = 0;
        var progress = Stopwatch.StartNew();
        await Parallel.ForEachAsync(owners.Chunk(Chunk), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (chunk, cancellationToken) =>
        {
            var plaintext = new byte[kib * 1024];
            Random.Shared.NextBytes(plaintext);
            await using var db = newDb();
            var vault = new PersonalDataVault(db, keys, TimeProvider.System);
            var intake = new DocumentIntake(db, vault, store, TimeProvider.System);
            foreach (var owner in chunk)
            {
                await intake.AddAsync(owner, new InspectedDocument(DocumentKind.Jpeg, "image/jpeg", ".jpg", plaintext, 1240, 1754), "passport.jpg", TimeSpan.FromDays(2), cancellationToken);
            }
            await db.SaveChangesAsync(cancellationToken);
            var total = Interlocked.Add(ref done, chunk.Length);
            if (total % 10_000 < Chunk)
            {
                Console.WriteLine($"  {total:N0} documents, {progress.Elapsed.TotalSeconds:F0} s");
            }
        });
        return FolderSize(Path.Combine(data, "documents"));
    }

    /// <summary>
    /// Where a copy's CPU goes: the stages archived bytes pass through (gzip at the archive's level, for the database
    /// entry only; the archive cipher and SHA-256, for every byte), on one thread over the same incompressible bytes a
    /// sealed document is. Printed in MiB per CPU second, so the figures hold on a shared machine.
    /// </summary>
    private static void StageCosts(ArchiveCipher cipher)
    {
        var bytes = new byte[64 << 20];
        Random.Shared.NextBytes(bytes);
        var stages = new (string Name, Action Run)[]
        {
            ("gzip (CompressionLevel.Fastest; the database entry only)", () =>
            {
                using var zip = new System.IO.Compression.GZipStream(Stream.Null, System.IO.Compression.CompressionLevel.Fastest);
                zip.Write(bytes);
            }),
            ("ArchiveCipher (AES-256-GCM, 1 MiB chunks)", () =>
            {
                using var sealedStream = cipher.Encrypt(Stream.Null, "benchmark");
                sealedStream.Write(bytes);
            }),
            ("SHA-256", () => System.Security.Cryptography.SHA256.HashData(bytes)),
        };
        var line = new List<string>();
        foreach (var (name, run) in stages)
        {
            run();
            // Nothing else runs in this process now (the site is stopped, the app's host was never started).
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            run();
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
            line.Add(FormattableString.Invariant($"{name} {64 / Math.Max(cpuSeconds, 0.01):F0} MiB per CPU second"));
        }
        Console.WriteLine("Cost of each stage of a copy over incompressible bytes (one thread): " + string.Join("; ", line));
    }

    private static long FolderSize(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    private static async Task<long> DatabaseSizeAsync(BenchProvider provider, string connectionString, string data)
    {
        if (provider == BenchProvider.Sqlite)
        {
            return SqliteFiles.Select(f => Path.Combine(data, f)).Where(File.Exists).Sum(f => new FileInfo(f).Length);
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Sign-ins from <paramref name="clients"/> concurrent clients, each a new visitor (form, then credentials, to the
    /// redirect to the cabinet), as a random customer: <paramref name="count"/> in all, or until <paramref name="until"/> ends.
    /// </summary>
    private static async Task<(List<double> Latencies, int Failures)> SignInsAsync(string baseUrl, int customers, int clients, int? count, Task? until)
    {
        var latencies = new ConcurrentBag<double>();
        var started = 0;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client * 7919 + Environment.TickCount);
            while (count is { } n ? Interlocked.Increment(ref started) <= n : until?.IsCompleted == false)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    if (await ScaleCheck.SignInAsync(baseUrl, $"customer{random.Next(customers)}@scale.example.kz", openCabinet: false) is null)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }
                latencies.Add(watch.Elapsed.TotalMilliseconds);
            }
        })));
        return ([.. latencies], failures);
    }

    private static double P(List<double> values, double p) => values.Count == 0 ? double.NaN : BenchPaths.Percentile([.. values.Order()], p);

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F0} KiB"),
    };

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}

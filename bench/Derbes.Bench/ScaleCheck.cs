using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Derbes.Bench;

/// <summary>
/// The scale check of issue 3: a million customers in PostgreSQL, loaded as the app would store them, and
/// the database time of the look-ups that sign-in (by email, by phone) and staff (by email) run on them.
/// </summary>
internal static partial class ScaleCheck
{
    private const int Batch = 10_000;
    private const double TargetMs = 5;
    private static readonly string[] FirstNames = ["Айгерім", "Нұрлан", "Дана", "Ержан", "Мария", "Сергей", "Әлия", "Тимур"];
    private static readonly string[] LastNames = ["Сейітова", "Жұмабаев", "Иванова", "Ким", "Омарова", "Ахметов", "Петров"];

    private static string Email(int i) => $"customer{i}@scale.example.kz";

    private static string Phone(int i) => $"+7701{i:D7}";

    public static async Task<int> RunAsync(string root, int customers, int lookups)
    {
        Console.WriteLine($"Derbes scale check: {Environment.ProcessorCount} cores, {customers:N0} customers, {lookups:N0} look-ups of each kind");
        var data = Path.Combine(Path.GetTempPath(), "derbes-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        PostgresCluster? cluster = null;
        try
        {
            cluster = await PostgresCluster.StartAsync(root);
            await cluster.TuneForBulkLoadAsync();
            var connectionString = await cluster.CreateDatabaseAsync("derbes_scale");
            Console.WriteLine($"PostgreSQL cluster on port {cluster.Port}, database derbes_scale.");
            var options = new DbContextOptionsBuilder<PostgresDerbesDb>().UseNpgsql(connectionString)
                .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning)).Options;

            // The app's own migrations make the tables and indexes; the key file is the one the site reads.
            await using (var db = new PostgresDerbesDb(options))
            {
                await db.Database.MigrateAsync();
            }
            var keys = new MasterKeyRing(Options.Create(new KeyOptions()), new DataDirectory(data));
            var index = new BlindIndex(keys);
            string hash;
            using (var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions())))
            {
                hash = hasher.Hash(SignInBench.Password);
            }

            var loadTime = Stopwatch.StartNew();
            var rows = Load(connectionString, options, keys, index, hash, customers);
            Console.WriteLine($"Loaded {rows.Users:N0} accounts and {rows.Keys:N0} data keys in {loadTime.Elapsed.TotalSeconds:F0} s ({rows.Users / loadTime.Elapsed.TotalSeconds:N0} customers/s)");
            var analyse = Stopwatch.StartNew();
            await ExecuteAsync(connectionString, "ANALYZE");
            Console.WriteLine($"ANALYZE in {analyse.Elapsed.TotalSeconds:F1} s; {await SizesAsync(connectionString)}");

            var pass = await LookupsAsync(connectionString, options, keys, index, customers, lookups);
            pass &= await SignInThroughSiteAsync(root, data, connectionString, customers);
            Console.WriteLine(pass ? "Scale check PASS" : "Scale check FAIL");
            return pass ? 0 : 1;
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// Builds customers on all cores with the app's own services (a data key per customer wrapped by the
    /// master key, names, email and phone sealed by PersonalDataVault, blind indexes) and streams them into
    /// two binary COPYs running alongside: accounts and data keys. All share one Argon2id hash: hashing a
    /// million passwords would take hours and verifying any of them costs the same.
    /// </summary>
    internal static (ulong Users, ulong Keys) Load(string connectionString, DbContextOptions<PostgresDerbesDb> options, MasterKeyRing keys, BlindIndex index, string hash, int customers, bool advertising = false)
    {
        BulkCopy<Account> userCopy;
        BulkCopy<DataKey> keyCopy;
        BulkCopy<ConsentRecord> consentCopy;
        using (var db = new PostgresDerbesDb(options))
        {
            userCopy = new BulkCopy<Account>(db);
            keyCopy = new BulkCopy<DataKey>(db);
            consentCopy = new BulkCopy<ConsentRecord>(db);
        }
        // Each customer agreed to processing under edition 1 at registration: one ledger record each, chained in
        // order (explicit ids, so the chain's order is the table's), with the wording stored once.
        const string Wording = "I agree to the processing of my personal data under the policy, edition 1 (benchmark customer).";
        var wordingSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Wording)));
        // With advertising: the email advertising consent of AdvertisingEmail(i), right after each customer's processing consent.
        const string AdvertisingWording = "I agree to receive advertising, information and surveys from SMALL by email (benchmark customer).";
        var advertisingSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AdvertisingWording)));
        var previousHash = HashChain.Genesis;
        long nextConsentId = 1;
        using var failed = new CancellationTokenSource();
        using var users = new BlockingCollection<Account[]>(boundedCapacity: 4);
        using var dataKeys = new BlockingCollection<DataKey[]>(boundedCapacity: 4);
        using var consents = new BlockingCollection<ConsentRecord[]>(boundedCapacity: 4);
        var consentTask = Task.Factory.StartNew(() => Consume(consentCopy, consents), failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var userTask = Task.Factory.StartNew(() => Consume(userCopy, users), failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var keyTask = Task.Factory.StartNew(() => Consume(keyCopy, dataKeys), failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        ulong Consume<T>(BulkCopy<T> copy, BlockingCollection<T[]> source)
            where T : class
        {
            try
            {
                return copy.Copy(connectionString, source.GetConsumingEnumerable(failed.Token));
            }
            catch
            {
                failed.Cancel();
                throw;
            }
        }

        var now = DateTimeOffset.UtcNow;
        var progress = Stopwatch.StartNew();
        try
        {
            for (var start = 0; start < customers; start += Batch)
            {
                var count = Math.Min(Batch, customers - start);
                var accounts = new Account[count];
                var wrapped = new DataKey[count];
                const int Chunk = 1_000;
                Parallel.For(0, (count + Chunk - 1) / Chunk, chunk =>
                {
                    // A context only to hold the new data keys: it never connects; the vault adds each key to it.
                    using var db = new PostgresDerbesDb(options);
                    var vault = new PersonalDataVault(db, keys, TimeProvider.System);
                    var directory = new AccountDirectory(db, index, vault);
                    var first = chunk * Chunk;
                    for (var j = first; j < Math.Min(count, first + Chunk); j++)
                    {
                        var i = start + j;
                        var account = NewCustomer(i, hash, now);
                        vault.CreateKey(account.Id);
                        directory.Seal(account, new Profile(FirstNames[i % FirstNames.Length], LastNames[i / 8 % LastNames.Length], Email(i), Phone(i)));
                        accounts[j] = account;
                    }
                    db.DataKeys.Local.CopyTo(wrapped, first);
                });
                var records = new List<ConsentRecord>(advertising ? 2 * count : count);
                var at = HashChain.StorablePrecision(now);
                void Chain(Guid accountId, ConsentPurpose purpose, bool granted, string sha, DateTimeOffset when)
                {
                    var record = new ConsentRecord
                    {
                        Id = nextConsentId++,
                        AccountId = accountId,
                        Purpose = purpose,
                        Granted = granted,
                        Action = granted ? ConsentAction.Grant : ConsentAction.Withdraw,
                        EditionNumber = 1,
                        Language = "kk",
                        TextSha256 = sha,
                        At = when,
                        PreviousHash = previousHash,
                    };
                    record.Hash = HashChain.Link(previousHash, record.CanonicalContent());
                    previousHash = record.Hash;
                    records.Add(record);
                }
                for (var j = 0; j < count; j++)
                {
                    Chain(accounts[j].Id, ConsentPurpose.Processing, granted: true, wordingSha, at);
                    var choice = advertising ? AdvertisingEmail(start + j) : AdvertisingChoice.None;
                    if (choice != AdvertisingChoice.None)
                    {
                        Chain(accounts[j].Id, ConsentPurpose.AdvertisingEmail, granted: true, advertisingSha, at);
                    }
                    if (choice == AdvertisingChoice.GrantedThenWithdrawn)
                    {
                        Chain(accounts[j].Id, ConsentPurpose.AdvertisingEmail, granted: false, advertisingSha, at.AddSeconds(1));
                    }
                }
                users.Add(accounts, failed.Token);
                dataKeys.Add(wrapped, failed.Token);
                consents.Add([.. records], failed.Token);
                if ((start / Batch) % 10 == 9)
                {
                    Console.WriteLine($"  {start + count:N0} built, {progress.Elapsed.TotalSeconds:F0} s");
                }
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
            // A COPY failed: its exception is the one to report, below.
        }
        finally
        {
            users.CompleteAdding();
            dataKeys.CompleteAdding();
            consents.CompleteAdding();
        }
        consentTask.GetAwaiter().GetResult();
        using (var db = new PostgresDerbesDb(options))
        {
            db.ConsentTexts.Add(new ConsentText { Sha256 = wordingSha, Language = "kk", Text = Wording });
            if (advertising)
            {
                db.ConsentTexts.Add(new ConsentText { Sha256 = advertisingSha, Language = "kk", Text = AdvertisingWording });
            }
            db.SaveChanges();
            // The ids were given explicitly; the next record the site writes follows them.
            db.Database.ExecuteSqlRaw("SELECT setval(pg_get_serial_sequence('\"ConsentRecords\"', 'Id'), (SELECT max(\"Id\") FROM \"ConsentRecords\"))");
        }
        return (userTask.GetAwaiter().GetResult(), keyTask.GetAwaiter().GetResult());
    }

    internal enum AdvertisingChoice
    {
        None,
        Granted,
        GrantedThenWithdrawn,
    }

    /// <summary>
    /// Customer <paramref name="i"/>'s email advertising consent when loaded with it: 80 % agreed (every customer but
    /// each fifth), and one in 25 of all customers then withdrew (a later record), so the latest record decides: 76 %.
    /// </summary>
    internal static AdvertisingChoice AdvertisingEmail(int i) =>
        i % 5 == 0 ? AdvertisingChoice.None : i % 25 == 1 ? AdvertisingChoice.GrantedThenWithdrawn : AdvertisingChoice.Granted;

    private static Account NewCustomer(int i, string hash, DateTimeOffset now)
    {
        var account = Account.NewCustomer(now, "kk", (1_000_000_000 + i).ToString(CultureInfo.InvariantCulture));
        account.ConfirmEmail(now);
        account.PhoneNumberConfirmed = true;
        account.PasswordHash = hash;
        return account;
    }

    /// <summary>
    /// The look-ups, as the app sends them: each command is captured from the app's own AccountDirectory
    /// call (SQL text and typed parameters), then run with random existing keys under EXPLAIN ANALYZE.
    /// </summary>
    private static async Task<bool> LookupsAsync(string connectionString, DbContextOptions<PostgresDerbesDb> options, MasterKeyRing keys, BlindIndex index, int customers, int lookups)
    {
        var capture = new CommandCapture();
        var capturing = new DbContextOptionsBuilder<PostgresDerbesDb>(options).AddInterceptors(capture).Options;
        await using var db = new PostgresDerbesDb(capturing);
        var directory = new AccountDirectory(db, index, new PersonalDataVault(db, keys, TimeProvider.System));
        var checks = new (string Name, Func<int, Task<Account?>> Find, Func<int, string> Key)[]
        {
            ("sign-in by email (FindByLoginAsync)", i => directory.FindByLoginAsync(Email(i), CancellationToken.None), i => index.Email(Email(i))),
            ("sign-in by phone (FindByLoginAsync)", i => directory.FindByLoginAsync(Phone(i), CancellationToken.None), i => index.Phone(Phone(i))),
            // The staff search (CustomerRecords.SearchAsync) looks an email up with this same call.
            ("staff look-up by email (FindByEmailAsync)", i => directory.FindByEmailAsync(Email(i), CancellationToken.None), i => index.Email(Email(i))),
        };

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var random = new Random(3);
        var pass = true;
        var summary = new List<string>();
        foreach (var (name, find, key) in checks)
        {
            var probe = random.Next(customers);
            var found = await find(probe);
            var command = capture.Take();
            if (found is null || command.Parameters.Count != 1)
            {
                throw new InvalidOperationException($"{name}: customer {probe} not found, or not one parameter.");
            }
            db.ChangeTracker.Clear();
            Console.WriteLine();
            Console.WriteLine($"== {name}: the SQL the app sends (parameter {command.Parameters[0].ParameterName}, {command.Parameters[0].DataTypeName ?? command.Parameters[0].NpgsqlDbType.ToString()})");
            Console.WriteLine(command.Sql);

            // Plan once, with the real timings and buffers of one execution.
            var plan = await ExplainAsync(connection, "EXPLAIN (ANALYZE, BUFFERS) ", command, key(random.Next(customers)));
            Console.WriteLine("-- plan:");
            foreach (var line in plan)
            {
                Console.WriteLine("   " + line);
            }
            var indexed = plan.Any(l => l.Contains("Index Scan", StringComparison.Ordinal)) && !plan.Any(l => l.Contains("Seq Scan", StringComparison.Ordinal));

            var execution = new double[lookups];
            var planning = new double[lookups];
            var roundTrip = new double[lookups];
            for (var n = 0; n < lookups; n++)
            {
                var lines = await ExplainAsync(connection, "EXPLAIN (ANALYZE, BUFFERS) ", command, key(random.Next(customers)));
                planning[n] = Timing(lines, "Planning Time");
                execution[n] = Timing(lines, "Execution Time");
            }
            for (var n = 0; n < lookups; n++)
            {
                // The plain query from the client, for the whole round trip over loopback.
                var watch = Stopwatch.StartNew();
                var rows = await RunAsync(connection, command, key(random.Next(customers)));
                roundTrip[n] = watch.Elapsed.TotalMilliseconds;
                if (rows != 1)
                {
                    throw new InvalidOperationException($"{name}: {rows} rows for an existing key.");
                }
            }
            Array.Sort(execution);
            Array.Sort(planning);
            Array.Sort(roundTrip);
            var total = execution.Zip(planning, (e, p) => e + p).Order().ToArray();
            var median = BenchPaths.Percentile(total, 0.5);
            var ok = indexed && median < TargetMs;
            pass &= ok;
            Console.WriteLine($"-- {lookups:N0} random existing keys: execution median {BenchPaths.Percentile(execution, 0.5):F3} ms, p95 {BenchPaths.Percentile(execution, 0.95):F3} ms; planning + execution median {median:F3} ms, p95 {BenchPaths.Percentile(total, 0.95):F3} ms; client round trip median {BenchPaths.Percentile(roundTrip, 0.5):F3} ms, p95 {BenchPaths.Percentile(roundTrip, 0.95):F3} ms");
            Console.WriteLine($"-- index scan: {(indexed ? "yes" : "NO")}; median database time < {TargetMs} ms: {(ok ? "PASS" : "FAIL")}");
            summary.Add($"| {name} | {BenchPaths.Percentile(execution, 0.5):F3} / {BenchPaths.Percentile(execution, 0.95):F3} ms | {median:F3} / {BenchPaths.Percentile(total, 0.95):F3} ms | {BenchPaths.Percentile(roundTrip, 0.5):F3} / {BenchPaths.Percentile(roundTrip, 0.95):F3} ms | {(indexed ? "index scan" : "NOT indexed")} | {(ok ? "PASS" : "FAIL")} |");
        }
        Console.WriteLine();
        Console.WriteLine("| Look-up | Execution median / p95 | Planning + execution median / p95 | Client round trip median / p95 | Plan | < 5 ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        summary.ForEach(Console.WriteLine);
        return pass;
    }

    /// <summary>Signs in through the real site by email and by phone, and opens the cabinet: the loaded rows work in the app.</summary>
    private static async Task<bool> SignInThroughSiteAsync(string root, string data, string connectionString, int customers)
    {
        var baseUrl = $"http://127.0.0.1:{BenchPaths.FreePort()}";
        using var site = BenchSite.Start(root, data, baseUrl, new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Derbes"] = connectionString,
        });
        try
        {
            await BenchSite.WaitReadyAsync(baseUrl, site);
            var random = new Random(5);
            var pass = true;
            foreach (var (login, i) in new[] { (Email(customers - 1), customers - 1), (Phone(customers / 2), customers / 2), (Email(random.Next(customers)), -1) })
            {
                var number = i >= 0 ? i : int.Parse(login["customer".Length..login.IndexOf('@', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                var watch = Stopwatch.StartNew();
                var cabinet = await SignInAsync(baseUrl, login);
                var ok = cabinet is not null && cabinet.Contains(FirstNames[number % FirstNames.Length], StringComparison.Ordinal)
                    && cabinet.Contains((1_000_000_000 + number).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                pass &= ok;
                Console.WriteLine($"Sign-in through the site as {login}: {(ok ? "cabinet opened with the customer's name and number" : "FAILED")} ({watch.Elapsed.TotalMilliseconds:F0} ms)");
            }
            return pass;
        }
        finally
        {
            await BenchSite.StopAsync(site);
        }
    }

    internal static async Task<string?> SignInAsync(string baseUrl, string login, bool openCabinet = true)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        var form = await http.GetStringAsync("/account/login");
        var token = TokenPattern().Match(form).Groups[1].Value;
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__af"] = token,
            ["Input.Login"] = login,
            ["Input.Password"] = SignInBench.Password,
            ["Input.RememberMe"] = "false",
        });
        using var response = await http.PostAsync("/account/login", content);
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString != "/cabinet")
        {
            return null;
        }
        if (!openCabinet)
        {
            return "";
        }
        // Razor encodes non-ASCII letters as character references; the names are Kazakh and Russian.
        return WebUtility.HtmlDecode(await http.GetStringAsync("/cabinet"));
    }

    private static async Task<List<string>> ExplainAsync(NpgsqlConnection connection, string prefix, CapturedCommand captured, string key)
    {
        await using var command = captured.Create(connection, prefix, key);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }
        return lines;
    }

    private static async Task<int> RunAsync(NpgsqlConnection connection, CapturedCommand captured, string key)
    {
        await using var command = captured.Create(connection, "", key);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
        }
        return rows;
    }

    private static double Timing(List<string> plan, string label)
    {
        var line = plan.Single(l => l.StartsWith(label, StringComparison.Ordinal));
        return double.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Replace("ms", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
    }

    internal static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> SizesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT 'AspNetUsers ' || pg_size_pretty(pg_relation_size('"AspNetUsers"')) || ' + indexes ' || pg_size_pretty(pg_indexes_size('"AspNetUsers"'))
                || ', DataKeys ' || pg_size_pretty(pg_total_relation_size('"DataKeys"'))
            """, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [GeneratedRegex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    /// <summary>An EF command as it was sent: its SQL and its typed parameters, to re-run with other values.</summary>
    private sealed class CapturedCommand(string sql, List<NpgsqlParameter> parameters)
    {
        public string Sql { get; } = sql;
        public List<NpgsqlParameter> Parameters { get; } = parameters;

        public NpgsqlCommand Create(NpgsqlConnection connection, string prefix, string key)
        {
            var command = new NpgsqlCommand(prefix + Sql, connection);
            var parameter = Parameters[0].Clone();
            parameter.Value = key;
            command.Parameters.Add(parameter);
            return command;
        }
    }

    /// <summary>Keeps the last query EF sent, as sent.</summary>
    private sealed class CommandCapture : DbCommandInterceptor
    {
        private CapturedCommand? _last;

        public CapturedCommand Take() => Interlocked.Exchange(ref _last, null) ?? throw new InvalidOperationException("No command was captured.");

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(command);
            _last = new CapturedCommand(command.CommandText, [.. command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Clone())]);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}

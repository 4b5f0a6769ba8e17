using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Statistics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OtpNet;

namespace Derbes.Bench;

/// <summary>
/// Issue 9's statistics benchmark on PostgreSQL: a million customers (the scale check's loader) spread over the last
/// year, with sign-ins, requests, documents and campaign opt-outs; the app's own <see cref="StatisticsJob"/> run once
/// over the whole year (timed); then /admin/statistics for the last year by day and by month, and one table's CSV, each
/// rendered N times by a signed-in Marketing member through the site. Target: every render under 500 ms (p95).
/// </summary>
internal static partial class StatisticsBench
{
    private const double TargetMs = 500;
    private const string StaffPassword = "benchmark staff password 2026";

    public static async Task<int> RunAsync(string root, int customers, int renders)
    {
        Console.WriteLine($"Derbes statistics: {Environment.ProcessorCount} cores, {customers:N0} customers, PostgreSQL; {renders} renders of each page");
        var data = Path.Combine(Path.GetTempPath(), "derbes-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        PostgresCluster? cluster = null;
        try
        {
            cluster = await PostgresCluster.StartAsync(root);
            await cluster.TuneForBulkLoadAsync();
            var connectionString = await cluster.CreateDatabaseAsync("derbes_statistics");
            var options = new DbContextOptionsBuilder<PostgresDerbesDb>().UseNpgsql(connectionString)
                .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning)).Options;
            await using (var db = new PostgresDerbesDb(options))
            {
                await db.Database.MigrateAsync();
            }
            var keys = new MasterKeyRing(Options.Create(new KeyOptions()), new DataDirectory(data));
            string hash;
            using (var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions())))
            {
                hash = hasher.Hash(SignInBench.Password);
            }
            var load = Stopwatch.StartNew();
            var rows = ScaleCheck.Load(connectionString, options, keys, new BlindIndex(keys), hash, customers, advertising: true);
            Console.WriteLine($"Loaded {rows.Users:N0} customers in {load.Elapsed.TotalSeconds:F0} s");
            var spread = Stopwatch.StartNew();
            await SpreadOverTheYearAsync(connectionString, customers);
            await ScaleCheck.ExecuteAsync(connectionString, "ANALYZE");
            Console.WriteLine($"Spread over the last year (registrations, languages, confirmations, sign-ins, requests, documents, opt-outs) in {spread.Elapsed.TotalSeconds:F0} s");

            // The app's own job, once, over the whole year (an empty table: it starts at the first registration).
            var services = new ServiceCollection();
            services.AddDbContext<DerbesDb, PostgresDerbesDb>(o => o.UseNpgsql(connectionString).ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning)));
            services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
            services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            services.AddOptions<StatisticsOptions>();
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<StatisticsJob>();
            await using (var provider = services.BuildServiceProvider())
            {
                var job = provider.GetRequiredService<StatisticsJob>();
                var full = Stopwatch.StartNew();
                var days = await job.RefreshAsync(CancellationToken.None);
                Console.WriteLine($"Aggregation job, first run: {days} days in {full.Elapsed.TotalSeconds:F1} s");
                var again = Stopwatch.StartNew();
                days = await job.RefreshAsync(CancellationToken.None);
                Console.WriteLine($"Aggregation job, a later run (the recent days and today's snapshots): {days} days in {again.Elapsed.TotalSeconds:F1} s");
            }
            await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var count = new Npgsql.NpgsqlCommand("""SELECT count(*), pg_size_pretty(pg_total_relation_size('"StatisticsDays"')) FROM "StatisticsDays" """, connection);
                await using var reader = await count.ExecuteReaderAsync();
                await reader.ReadAsync();
                Console.WriteLine($"StatisticsDays: {reader.GetInt64(0):N0} rows, {reader.GetString(1)}");
            }

            var baseUrl = $"http://127.0.0.1:{BenchPaths.FreePort()}";
            using var site = BenchSite.Start(root, data, baseUrl, new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["ConnectionStrings__Derbes"] = connectionString,
                // Computed above; the site's own run at start only redoes the recent days.
                ["Statistics__RefreshInterval"] = "30.00:00:00",
                ["Outbox__Enabled"] = "false",
            });
            try
            {
                await BenchSite.WaitReadyAsync(baseUrl, site);
                using var http = await MarketingAsync(baseUrl, options, keys);
                var today = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(5)).DateTime);
                var range = $"From={today.AddDays(-364):yyyy-MM-dd}&To={today:yyyy-MM-dd}";
                var pages = new (string Name, string Url)[]
                {
                    ("page, last year by day", $"/admin/statistics?{range}&Group=Day"),
                    ("page, last year by month", $"/admin/statistics?{range}&Group=Month"),
                    ("CSV of registrations, last year by day", $"/admin/statistics?handler=csv&table=registrations&{range}&Group=Day"),
                };
                var pass = true;
                Console.WriteLine();
                Console.WriteLine("| Render (signed in as Marketing) | Median | p95 | Max | Size | < 500 ms |");
                Console.WriteLine("|---|---|---|---|---|---|");
                foreach (var (name, url) in pages)
                {
                    for (var i = 0; i < 5; i++)
                    {
                        (await http.GetAsync(url)).EnsureSuccessStatusCode();
                    }
                    var times = new double[renders];
                    long size = 0;
                    for (var i = 0; i < renders; i++)
                    {
                        var watch = Stopwatch.StartNew();
                        using var response = await http.GetAsync(url);
                        var body = await response.Content.ReadAsByteArrayAsync();
                        times[i] = watch.Elapsed.TotalMilliseconds;
                        if (response.StatusCode != HttpStatusCode.OK || (!url.Contains("csv", StringComparison.Ordinal) && !System.Text.Encoding.UTF8.GetString(body).Contains("statistics-summary", StringComparison.Ordinal)))
                        {
                            throw new InvalidOperationException($"{name}: {response.StatusCode}, not the statistics");
                        }
                        size = body.Length;
                    }
                    Array.Sort(times);
                    var p95 = BenchPaths.Percentile(times, 0.95);
                    var ok = p95 < TargetMs;
                    pass &= ok;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {BenchPaths.Percentile(times, 0.5):F1} ms | {p95:F1} ms | {times[^1]:F1} ms | {size / 1024.0:F0} KiB | {(ok ? "PASS" : "FAIL")} |"));
                }
                Console.WriteLine(pass ? "Statistics PASS" : "Statistics FAIL");
                return pass ? 0 : 1;
            }
            finally
            {
                await BenchSite.StopAsync(site);
            }
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
    /// Gives the loaded customers a year of history, in SQL: registration times over the last 365 days, languages (60 %
    /// Kazakh, 35 % Russian, 5 % English), 5 % never confirmed; one sign-in audit entry per customer (10 % failed);
    /// 20,000 requests of every kind, answered within 0–14 days against a 10-day term; 100,000 documents reviewed (90 %
    /// verified); and the loader's withdrawn advertising consents as opt-outs from one campaign, spread over the year.
    /// </summary>
    private static async Task SpreadOverTheYearAsync(string connectionString, int customers)
    {
        await ScaleCheck.ExecuteAsync(connectionString, """
            UPDATE "AspNetUsers" SET
                "CreatedAt" = now() - (abs(hashtext("Id"::text)) % 31536000) * interval '1 second',
                "PreferredLanguage" = CASE WHEN abs(hashtext("Id"::text || 'l')) % 20 = 0 THEN 'en' WHEN abs(hashtext("Id"::text || 'l')) % 20 < 8 THEN 'ru' ELSE 'kk' END;
            UPDATE "AspNetUsers" SET "ConfirmedAt" = "CreatedAt" + interval '1 hour';
            UPDATE "AspNetUsers" SET "ConfirmedAt" = NULL, "EmailConfirmed" = false, "Status" = 0 WHERE abs(hashtext("Id"::text || 'c')) % 20 = 0;
            INSERT INTO "AuditEntries" ("At", "Actor", "Role", "Action", "Subject", "Outcome", "CorrelationId", "Ip", "PreviousHash", "Hash")
                SELECT now() - (g % 31536000) * interval '1 second', 'anonymous', '', CASE WHEN g % 10 = 0 THEN 'signin.failed' ELSE 'signin.succeeded' END,
                       'bench', 'ok', '', '', '', ''
                FROM generate_series(1, (SELECT count(*) FROM "AspNetUsers")) g;
            INSERT INTO "Campaigns" ("Id", "Name", "Kind", "Channel", "Status", "CreatedBy", "CreatedAt", "UpdatedAt", "Version")
                OVERRIDING SYSTEM VALUE VALUES (1, 'Benchmark: autumn prices', 0, 0, 3, gen_random_uuid(), now(), now(), 0);
            UPDATE "ConsentRecords" SET "Reference" = 'campaign:1', "At" = now() - (abs(hashtext("Id"::text)) % 31536000) * interval '1 second' WHERE NOT "Granted";
            WITH picked AS (SELECT "Id", row_number() OVER () AS n FROM "AspNetUsers" LIMIT 20000)
            INSERT INTO "CustomerRequests" ("AccountId", "Number", "Year", "Sequence", "Kind", "Channel", "SealedText", "ReceivedAt", "ReceivedOn", "DueOn", "Status", "AnsweredAt", "Version")
                SELECT "Id", 'BENCH-' || n, 2000, n, n % 9, 0, '\x00'::bytea, now() - (n % 365) * interval '1 day', (now() - (n % 365) * interval '1 day')::date,
                       (now() - (n % 365) * interval '1 day')::date + 10, CASE WHEN n % 365 < 14 THEN 1 ELSE 2 END,
                       CASE WHEN n % 365 < 14 THEN NULL ELSE now() - (n % 365) * interval '1 day' + (n % 15) * interval '1 day' END, 0
                FROM picked;
            WITH picked AS (SELECT "Id", "CreatedAt", row_number() OVER () AS n FROM "AspNetUsers" LIMIT 100000)
            INSERT INTO "Documents" ("Id", "AccountId", "StorageName", "SealedOriginalName", "ContentType", "Size", "Sha256", "Status", "UploadedAt", "ReviewDueAt", "ReviewedAt")
                SELECT gen_random_uuid(), "Id", md5(n::text), '\x00'::bytea, 'application/pdf', 1000, md5(n::text) || md5(n::text), CASE WHEN n % 10 = 0 THEN 2 ELSE 1 END,
                       "CreatedAt", "CreatedAt" + interval '1 day', "CreatedAt" + interval '2 hours'
                FROM picked;
            """);
        _ = customers;
    }

    /// <summary>A member of staff with the Marketing role (as an accepted invitation leaves them), signed in with password and code.</summary>
    private static async Task<HttpClient> MarketingAsync(string baseUrl, DbContextOptions<PostgresDerbesDb> options, MasterKeyRing keys)
    {
        var email = $"marketing.{Guid.NewGuid():N}@small.example.kz";
        var key = StaffAuthenticator.NewKey();
        await using (var db = new PostgresDerbesDb(options))
        {
            var now = DateTimeOffset.UtcNow;
            var vault = new PersonalDataVault(db, keys, TimeProvider.System);
            var account = Account.NewStaff(now, "kk");
            account.ActivateStaff(now);
            vault.CreateKey(account.Id);
            new AccountDirectory(db, new BlindIndex(keys), vault).Seal(account, new Profile("Бенчмарк", "Маркетинг", email, null));
            using (var hasher = new Argon2PasswordHasher(Options.Create(new PasswordHashingOptions())))
            {
                account.PasswordHash = hasher.Hash(StaffPassword);
            }
            db.Users.Add(account);
            // Enrolled two steps ago, so the current code is unused.
            db.UserTokens.AddRange(StaffAuthenticator.Enrol(vault, account.Id, key, now.ToUnixTimeSeconds() / 30 - 2));
            var role = await db.Roles.Where(r => r.Name == StaffRoles.Marketing).Select(r => r.Id).SingleAsync();
            db.UserRoles.Add(new IdentityUserRole<Guid> { UserId = account.Id, RoleId = role });
            await db.SaveChangesAsync();
        }
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        var login = await http.GetStringAsync("/account/login");
        using (var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__af"] = Token().Match(login).Groups[1].Value,
            ["Input.Login"] = email,
            ["Input.Password"] = StaffPassword,
            ["Input.RememberMe"] = "false",
        }))
        using (var first = await http.PostAsync("/account/login", form))
        {
            if (first.Headers.Location?.OriginalString.Contains("two-factor", StringComparison.Ordinal) != true)
            {
                throw new InvalidOperationException("The staff sign-in did not ask for the code: " + first.StatusCode);
            }
        }
        var second = await http.GetStringAsync("/account/login/two-factor");
        var code = new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(DateTime.UtcNow);
        using (var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__af"] = Token().Match(second).Groups[1].Value, ["Code"] = code }))
        using (var done = await http.PostAsync("/account/login/two-factor", form))
        {
            if (done.StatusCode != HttpStatusCode.Redirect)
            {
                throw new InvalidOperationException("The staff sign-in failed at the code: " + done.StatusCode);
            }
        }
        return http;
    }

    [GeneratedRegex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}

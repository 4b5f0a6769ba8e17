using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Data;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Derbes.Bench;

/// <summary>
/// Issue 5's benchmark: a new edition published to a million customers on PostgreSQL. The site's own
/// PolicyNotices job queues every notice while customers sign in; the run prints how long the queueing took
/// (target: under 2 minutes) and the sign-in p99 during it against the same measured idle (target: under 2×).
/// </summary>
internal static class NoticeBench
{
    private const double TargetSeconds = 120;

    public static async Task<int> RunAsync(string root, int customers)
    {
        Console.WriteLine($"Derbes edition notices: {Environment.ProcessorCount} cores, {customers:N0} customers, PostgreSQL");
        var data = Path.Combine(Path.GetTempPath(), "derbes-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        PostgresCluster? cluster = null;
        try
        {
            cluster = await PostgresCluster.StartAsync(root);
            await cluster.TuneForBulkLoadAsync();
            var connectionString = await cluster.CreateDatabaseAsync("derbes_notices");
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
            var rows = ScaleCheck.Load(connectionString, options, keys, new BlindIndex(keys), hash, customers);
            Console.WriteLine($"Loaded {rows.Users:N0} customers in {load.Elapsed.TotalSeconds:F0} s");
            await ScaleCheck.ExecuteAsync(connectionString, "ANALYZE");

            var baseUrl = $"http://127.0.0.1:{BenchPaths.FreePort()}";
            using var site = BenchSite.Start(root, data, baseUrl, new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["ConnectionStrings__Derbes"] = connectionString,
                ["PolicyNotices__Interval"] = "00:00:01",
                // The notices are queued, not sent: a million emails are the mail server's benchmark, not this one's.
                ["Outbox__Enabled"] = "false",
            });
            try
            {
                await BenchSite.WaitReadyAsync(baseUrl, site);
                var random = new Random(7);
                string Login() => $"customer{random.Next(customers)}@scale.example.kz";
                await SignInsAsync(baseUrl, Login, TimeSpan.FromSeconds(15), stop: null);
                var idle = await SignInsAsync(baseUrl, Login, TimeSpan.FromSeconds(30), stop: null);
                Console.WriteLine($"Sign-ins idle: {idle.Count} in 30 s, p50 {P(idle, 0.5):F0} ms, p99 {P(idle, 0.99):F0} ms");

                var published = Stopwatch.StartNew();
                await using (var db = new PostgresDerbesDb(options))
                {
                    db.PolicyEditions.Add(Edition(2));
                    await db.SaveChangesAsync();
                }
                using var done = new CancellationTokenSource(TimeSpan.FromMinutes(10));
                var watcher = WaitQueuedAsync(options, done.Token);
                var during = await SignInsAsync(baseUrl, Login, TimeSpan.FromMinutes(10), stop: watcher);
                var (queued, finishedAt) = await watcher;
                var seconds = (finishedAt - DateTimeOffset.UtcNow).TotalSeconds + published.Elapsed.TotalSeconds;
                await using (var db = new PostgresDerbesDb(options))
                {
                    var rowsQueued = await db.Outbox.CountAsync(m => m.Reference == "edition:2");
                    Console.WriteLine($"Notices queued: {queued:N0} (outbox rows for edition 2: {rowsQueued:N0}; active customers: {customers:N0})");
                }
                Console.WriteLine($"Queued every notice in {seconds:F0} s after publication (target < {TargetSeconds:F0} s)");
                Console.WriteLine($"Sign-ins during: {during.Count}, p50 {P(during, 0.5):F0} ms, p99 {P(during, 0.99):F0} ms (idle p99 {P(idle, 0.99):F0} ms; target < 2×)");
                var pass = queued == customers && seconds < TargetSeconds && P(during, 0.99) < 2 * P(idle, 0.99);
                Console.WriteLine(pass ? "Edition notices PASS" : "Edition notices FAIL");
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

    private static PolicyEdition Edition(int number)
    {
        var edition = new PolicyEdition { Number = number, PublishedAt = DateTimeOffset.UtcNow };
        foreach (var language in new[] { "kk", "ru", "en" })
        {
            var body = "# Policy\n\nA new partner.";
            edition.Texts.Add(new PolicyText
            {
                Language = language,
                IsTranslation = language != "kk",
                Format = PolicyTextFormat.Markdown,
                Title = "Policy",
                Summary = "A new partner.",
                Body = body,
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))),
            });
        }
        return edition;
    }

    /// <summary>Polls the run until it completes; returns how many were queued and when the run says it finished.</summary>
    private static async Task<(int Queued, DateTimeOffset At)> WaitQueuedAsync(DbContextOptions<PostgresDerbesDb> options, CancellationToken cancellationToken)
    {
        var last = -1;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            await using var db = new PostgresDerbesDb(options);
            var run = await db.PolicyNoticeRuns.AsNoTracking().SingleOrDefaultAsync(r => r.EditionNumber == 2, cancellationToken);
            if (run?.CompletedAt is { } at)
            {
                return (run.Queued, at);
            }
            if (run is not null && run.Queued / 100_000 != last)
            {
                last = run.Queued / 100_000;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  … {run.Queued:N0} queued"));
            }
        }
    }

    /// <summary>One client signing in again and again (as a new visitor each time); the latency of each, in ms.</summary>
    private static async Task<List<double>> SignInsAsync(string baseUrl, Func<string> login, TimeSpan longest, Task? stop)
    {
        var latencies = new List<double>();
        var until = DateTime.UtcNow + longest;
        while (DateTime.UtcNow < until && stop?.IsCompleted != true)
        {
            var watch = Stopwatch.StartNew();
            // The form and the password check, to the redirect to the cabinet (which, once the edition is out,
            // first asks the customer to acknowledge it).
            var cabinet = await ScaleCheck.SignInAsync(baseUrl, login(), openCabinet: false);
            if (cabinet is null)
            {
                throw new InvalidOperationException("A sign-in failed during the benchmark.");
            }
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }

    private static double P(List<double> values, double p) => values.Count == 0 ? 0 : BenchPaths.Percentile([.. values.Order()], p);
}

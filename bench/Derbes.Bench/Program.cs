using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

// Sign-in capacity, measured against the password hash's own cost (bench/README.md).
// 1. Start the built site (its own process, its own data folder) and seed 10,000 customers.
// 2. Measure raw Argon2id verifications per second on all cores, in this process.
// 3. Drive sign-ins (GET the form, POST the credentials) from 2 x cores clients for the given time,
//    while a probe reads /health/ready every 50 ms.
// 4. Print both rates, their ratio (target >= 0.85) and the health p99 (target < 50 ms).
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
var customers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
var cores = Environment.ProcessorCount;
var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2 * cores;
const string Password = "bench-password-жасыл-алма";

var root = FindRoot();
var data = Path.Combine(Path.GetTempPath(), "derbes-bench", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(data);
var port = FreePort();
var baseUrl = $"http://127.0.0.1:{port}";
Console.WriteLine($"Derbes sign-in benchmark: {cores} cores, {clients} clients, {seconds} s, {customers:N0} customers");

using var site = StartSite(root, data, baseUrl);
await WaitReadyAsync(baseUrl);

// Seed: the app's own sealing and indexes, one shared Argon2id hash (its verification costs the same).
var hashOptions = Options.Create(new PasswordHashingOptions());
using var hasher = new Argon2PasswordHasher(hashOptions);
var hash = hasher.Hash(Password);
var emails = await SeedAsync(data, customers, hash);
Console.WriteLine($"Seeded {emails.Count:N0} customers.");

// Raw hash rate: one verifying thread per core, 10 s.
var rawCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var rawSysBefore = Process.GetCurrentProcess().PrivilegedProcessorTime;
var raw = MeasureRawVerifications(hash, Password, cores, TimeSpan.FromSeconds(Math.Min(10, seconds)));
var rawSeconds = Math.Min(10, seconds);
Console.WriteLine($"Raw CPU per verification: {(Process.GetCurrentProcess().TotalProcessorTime - rawCpuBefore).TotalMilliseconds / (raw * rawSeconds):F1} ms, of which kernel {(Process.GetCurrentProcess().PrivilegedProcessorTime - rawSysBefore).TotalMilliseconds / (raw * rawSeconds):F1} ms");
Console.WriteLine($"Raw Argon2id verifications: {raw:F1}/s on {cores} threads (m=19456 KiB, t=2, p=1)");

if (Environment.GetEnvironmentVariable("BENCH_PROFILE") == "1")
{
    // Where the time goes: the sign-in form alone.
    using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
    for (var i = 0; i < 200; i++) { await http.GetStringAsync("/account/login"); }
    site.Refresh();
    var before = site.TotalProcessorTime;
    var count = 0;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        using var h = new HttpClient { BaseAddress = new Uri(baseUrl) };
        while (sw.Elapsed < TimeSpan.FromSeconds(5)) { await h.GetStringAsync("/account/login"); Interlocked.Increment(ref count); }
    }));
    site.Refresh();
    Console.WriteLine($"GET /account/login: {count / sw.Elapsed.TotalSeconds:F0}/s, site CPU {(site.TotalProcessorTime - before).TotalMilliseconds / count:F2} ms each");

    // A POST with an unknown email: the whole sign-in path with a dummy hash and no session.
    site.Refresh();
    before = site.TotalProcessorTime;
    var hashBefore = HashingThreadsCpu(site.Id);
    count = 0;
    sw.Restart();
    var pattern = new Regex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"");
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var h = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        var form = await h.GetStringAsync("/account/login");
        var token = pattern.Match(form).Groups[1].Value;
        while (sw.Elapsed < TimeSpan.FromSeconds(5))
        {
            using var r = await h.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["__af"] = token, ["Input.Login"] = "nobody@bench.example.kz", ["Input.Password"] = "wrong password here", ["Input.RememberMe"] = "false" }));
            Interlocked.Increment(ref count);
        }
    }));
    site.Refresh();
    var cpuEach = (site.TotalProcessorTime - before).TotalMilliseconds / count;
    var hashEach = (HashingThreadsCpu(site.Id) - hashBefore) / count;
    Console.WriteLine($"POST /account/login, unknown email: {count / sw.Elapsed.TotalSeconds:F0}/s, site CPU {cpuEach:F1} ms each, of which hashing {hashEach:F1} ms");
}

// Warm-up (JIT, connection pools, caches), not counted: capacity is a steady-state figure.
await MeasureSignInsAsync(baseUrl, emails, clients, TimeSpan.FromSeconds(10));

// Sign-ins.
site.Refresh();
var siteCpuBefore = site.TotalProcessorTime;
var hashCpuBefore = HashingThreadsCpu(site.Id);
var siteSysBefore = site.PrivilegedProcessorTime;
var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var (signIns, failures, latencies) = await MeasureSignInsAsync(baseUrl, emails, clients, TimeSpan.FromSeconds(seconds));
site.Refresh();
var siteCpu = (site.TotalProcessorTime - siteCpuBefore).TotalMilliseconds / (signIns * seconds);
var siteSys = (site.PrivilegedProcessorTime - siteSysBefore).TotalMilliseconds / (signIns * seconds);
var hashCpu = (HashingThreadsCpu(site.Id) - hashCpuBefore) / (signIns * seconds);
var benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore).TotalMilliseconds / (signIns * seconds);
Console.WriteLine($"CPU per sign-in: site {siteCpu:F1} ms, of which kernel {siteSys:F1} ms and the site's hashing threads {hashCpu:F1} ms (one hash alone: {2000 / raw:F1} ms of a core), load generator {benchCpu:F1} ms");
var health = latencies.Order().ToArray();
var p99 = health.Length == 0 ? double.NaN : health[(int)Math.Min(health.Length - 1, Math.Ceiling(health.Length * 0.99) - 1)];
var ratio = signIns / raw;
Console.WriteLine($"Sign-ins: {signIns:F1}/s ({failures} failed requests)");
Console.WriteLine($"Ratio sign-ins / raw verifications: {ratio:P1} (target >= 85 %) {(ratio >= 0.85 ? "PASS" : "FAIL")}");
Console.WriteLine($"/health/ready under load: p50 {Percentile(health, 0.50):F1} ms, p99 {p99:F1} ms over {health.Length} probes (target p99 < 50 ms) {(p99 < 50 ? "PASS" : "FAIL")}");

await using (var check = new SqliteDerbesDb(new DbContextOptionsBuilder<SqliteDerbesDb>().UseSqlite($"Data Source={Path.Combine(data, "derbes.db")}").Options))
{
    var actions = await check.AuditEntries.GroupBy(e => e.Action).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
    Console.WriteLine("Audit: " + string.Join(", ", actions.Select(a => $"{a.Key} {a.Count}")));
}
site.Kill(entireProcessTree: true);
await site.WaitForExitAsync();
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
Directory.Delete(data, recursive: true);
return ratio >= 0.85 && p99 < 50 ? 0 : 1;

// CPU milliseconds used so far by the site's dedicated hashing threads ("argon2id-N"), from /proc.
static double HashingThreadsCpu(int pid)
{
    var ticks = 0L;
    foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
    {
        try
        {
            if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("argon2id", StringComparison.Ordinal))
            {
                continue;
            }
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
    }
    return ticks * 1000.0 / 100; // USER_HZ is 100 on Linux
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(sorted.Length * p) - 1)];

static string FindRoot()
{
    var folder = new DirectoryInfo(AppContext.BaseDirectory);
    while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Derbes.slnx")))
    {
        folder = folder.Parent;
    }
    return folder?.FullName ?? throw new InvalidOperationException("Run from the repository.");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static Process StartSite(string root, string data, string baseUrl)
{
    var contentRoot = Path.Combine(root, "src", "Derbes.Web");
    var dll = Path.Combine(contentRoot, "bin", "Release", "net10.0", "Derbes.Web.dll");
    var start = new ProcessStartInfo("dotnet", [dll, "--urls", baseUrl, "--contentRoot", contentRoot])
    {
        WorkingDirectory = contentRoot,
        UseShellExecute = false,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    // Plain http on loopback needs the Development cookie rules; everything else is as in production.
    start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
    start.Environment["Data__Directory"] = data;
    start.Environment["Logging__LogLevel__Default"] = "Warning";
    start.Environment["RateLimits__AccountPostsPerWindow"] = "100000000";
    start.Environment["RateLimits__ConcurrentAccountPosts"] = "1000";
    if (Environment.GetEnvironmentVariable("BENCH_SPIN") is { } spin) { start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = spin; }
    var process = Process.Start(start)!;
    process.OutputDataReceived += (_, e) => { if (e.Data is not null && Environment.GetEnvironmentVariable("BENCH_SITE_STDOUT") == "1") { Console.WriteLine("[site-out] " + e.Data); } };
    process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("[site] " + e.Data); } };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

static async Task WaitReadyAsync(string baseUrl)
{
    using var http = new HttpClient();
    for (var i = 0; i < 240; i++)
    {
        try
        {
            if ((await http.GetAsync(baseUrl + "/health/ready")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        await Task.Delay(250);
    }
    throw new TimeoutException("The site did not start.");
}

static async Task<List<string>> SeedAsync(string data, int count, string hash)
{
    var directory = new DataDirectory(data);
    var keys = new MasterKeyRing(Options.Create(new KeyOptions()), directory);
    var index = new BlindIndex(keys);
    var options = new DbContextOptionsBuilder<SqliteDerbesDb>().UseSqlite($"Data Source={directory.Resolve("derbes.db")};Default Timeout=60").Options;
    var emails = new List<string>(count);
    const int batch = 500;
    for (var start = 0; start < count; start += batch)
    {
        await using var db = new SqliteDerbesDb(options);
        var vault = new PersonalDataVault(db, keys, TimeProvider.System);
        var accounts = new AccountDirectory(db, index, vault);
        for (var i = start; i < Math.Min(count, start + batch); i++)
        {
            var email = $"customer{i}@bench.example.kz";
            var account = new Account
            {
                Id = Guid.NewGuid(),
                Kind = AccountKind.Customer,
                Status = AccountStatus.Active,
                EmailConfirmed = true,
                PreferredLanguage = "kk",
                CreatedAt = DateTimeOffset.UtcNow,
                UserName = (1_000_000_000 + i).ToString(CultureInfo.InvariantCulture),
                NormalizedUserName = (1_000_000_000 + i).ToString(CultureInfo.InvariantCulture),
                SecurityStamp = Guid.NewGuid().ToString("N"),
                ConcurrencyStamp = Guid.NewGuid().ToString(),
                LockoutEnabled = true,
                PasswordHash = hash,
            };
            vault.CreateKey(account.Id);
            accounts.Seal(account, new Profile("Bench", "Customer", email, $"+7701{i:D7}"));
            db.Users.Add(account);
            emails.Add(email);
        }
        await db.SaveChangesAsync();
    }
    return emails;
}

static double MeasureRawVerifications(string hash, string password, int threads, TimeSpan duration)
{
    var total = 0L;
    var stop = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
    {
        var local = 0L;
        var bytes = System.Text.Encoding.UTF8.GetBytes(password);
        while (stop.Elapsed < duration)
        {
            if (!Geralt.Argon2id.VerifyHash(hash, bytes))
            {
                throw new InvalidOperationException("verification failed");
            }
            local++;
        }
        Interlocked.Add(ref total, local);
    })).ToList();
    workers.ForEach(w => w.Start());
    workers.ForEach(w => w.Join());
    return total / stop.Elapsed.TotalSeconds;
}

static async Task<(double PerSecond, int Failures, ConcurrentBag<double> HealthMs)> MeasureSignInsAsync(string baseUrl, List<string> emails, int clients, TimeSpan duration)
{
    var tokenPattern = new Regex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"", RegexOptions.Compiled);
    var succeeded = 0;
    var failures = 0;
    var health = new ConcurrentBag<double>();
    using var stopAll = new CancellationTokenSource(duration);
    var started = Stopwatch.StartNew();

    var probe = Task.Run(async () =>
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        while (!stopAll.IsCancellationRequested)
        {
            var t = Stopwatch.StartNew();
            using var response = await http.GetAsync("/health/ready");
            health.Add(t.Elapsed.TotalMilliseconds);
            await Task.Delay(50);
        }
    });

    var cookiePattern = new Regex("^([^=;]+=[^;]*)", RegexOptions.Compiled);
    var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        var random = new Random(c);
        // One keep-alive connection per client; each sign-in is a fresh visitor (cookies handled by hand).
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        while (!stopAll.IsCancellationRequested)
        {
            try
            {
                using var get = await http.GetAsync("/account/login");
                var form = await get.Content.ReadAsStringAsync();
                var token = tokenPattern.Match(form).Groups[1].Value;
                var cookies = string.Join("; ", get.Headers.TryGetValues("Set-Cookie", out var set) ? set.Select(v => cookiePattern.Match(v).Value) : []);
                var email = emails[random.Next(emails.Count)];
                using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["__af"] = token,
                        ["Input.Login"] = email,
                        ["Input.Password"] = "bench-password-жасыл-алма",
                        ["Input.RememberMe"] = "false",
                    }),
                };
                post.Headers.Add("Cookie", cookies);
                using var response = await http.SendAsync(post);
                if (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString == "/cabinet")
                {
                    Interlocked.Increment(ref succeeded);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref failures);
            }
        }
    })).ToList();
    await Task.WhenAll(workers);
    await probe;
    return (succeeded / started.Elapsed.TotalSeconds, failures, health);
}

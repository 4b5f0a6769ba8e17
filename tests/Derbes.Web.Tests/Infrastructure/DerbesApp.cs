using System.Net;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Startup;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// The real application, in process, on its own database and data folder, with a clock the test can move.
/// The database is a SQLite file in the data folder, or, when <c>DERBES_TEST_POSTGRES</c> names a PostgreSQL
/// server (./test.sh runs the suite once each way), a fresh database on it that is dropped afterwards.
/// Mail and SMS go to the pickup folders, which <see cref="Mailbox"/> and <see cref="SmsInbox"/> read.
/// </summary>
public class DerbesApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _ownsStorage;
    private readonly bool _ownsDatabase;

    /// <summary>
    /// Test hosts do not watch their configuration files: dozens of hosts run at once, and each watcher would take
    /// one of the user's inotify instances (128 by default on Linux), after which every new host fails to start.
    /// </summary>
    static DerbesApp()
    {
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "true");
    }

    /// <summary>A new instance with its own storage, or (<paramref name="shareWith"/>) a second instance of the same site.</summary>
    /// <param name="settings">Configuration that overrides the test defaults.</param>
    /// <param name="shareWith">Another instance whose database, data folder and clock this one shares.</param>
    /// <param name="postgres">A PostgreSQL database of the test's own (a server it controls) instead of the suite's.</param>
    /// <param name="startAt">Where the clock starts (a fake clock never goes back): a date the test's calendar arithmetic needs.</param>
    public DerbesApp(Dictionary<string, string?>? settings = null, DerbesApp? shareWith = null, string? postgres = null, DateTimeOffset? startAt = null)
    {
        _ownsStorage = shareWith is null;
        _ownsDatabase = shareWith is null && postgres is null;
        DataDirectory = shareWith?.DataDirectory ?? Path.Combine(Path.GetTempPath(), "derbes-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        Database = shareWith?.Database ?? postgres ?? (TestDatabase.PostgresServer is null ? null : TestDatabase.CreatePostgres(TestDatabase.PostgresServer));
        if (shareWith is not null)
        {
            Clock = shareWith.Clock;
        }
        else if (startAt is { } start)
        {
            Clock = new FakeTimeProvider(start);
        }
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Data:Directory"] = DataDirectory,
            ["Site:PublicUrl"] = PublicUrl,
            ["Outbox:PollInterval"] = "00:00:00.200",
            // High enough that ordinary tests never meet the per-IP limit; the rate-limit tests set their own.
            ["RateLimits:AccountPostsPerWindow"] = "100000",
            ["Accounts:ResetMinimumResponseTime"] = "00:00:00.050",
            ["Logging:LogLevel:Default"] = "Warning",
            // A test's clock starts at any hour: the daily archive copy would otherwise be made at once; backup tests turn it on.
            ["Backup:Scheduled"] = "false",
            // The schedule's copy runs in the test's process, on its fake clock; BackupProcessTests start the real command.
            ["Backup:ChildProcess"] = "false",
        };
        if (Database is not null)
        {
            _settings["Database:Provider"] = "Postgres";
            _settings["ConnectionStrings:Derbes"] = Database;
        }
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
        Mail = new Mailbox(Path.Combine(DataDirectory, "mail"));
        Sms = new SmsInbox(Path.Combine(DataDirectory, "sms"));
    }

    public const string PublicUrl = "https://shop.example.kz";

    /// <summary>The configuration this instance runs with (the test defaults and the test's own).</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;

    public string DataDirectory { get; }

    /// <summary>The PostgreSQL connection string of this site's database, or null on SQLite.</summary>
    public string? Database { get; }

    public bool OnPostgres => Database is not null;
    /// <summary>Starts on a whole second: PostgreSQL keeps microseconds, so times read back compare equal.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    public StringWriter OperatorOutput { get; } = new();
    public Mailbox Mail { get; }
    public SmsInbox Sms { get; }
    /// <summary>
    /// What the app logged at Warning or above, for tests that check a normal flow does not warn (an operator reads a
    /// warning as something to act on).
    /// </summary>
    public FakeLogCollector Logged { get; } = new(Options.Create(new FakeLogCollectorOptions { FilteredLevels = { LogLevel.Warning, LogLevel.Error, LogLevel.Critical } }));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(Logged)));
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.RemoveAll<OperatorConsole>();
            services.AddSingleton(new OperatorConsole { Writer = OperatorOutput });
        });
    }

    /// <summary>A browser: cookies kept, redirects followed by hand, https so Secure cookies travel.</summary>
    public Browser NewBrowser() =>
        new(CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>A browser whose cookies live in <paramref name="cookies"/>: the same person reaching another instance.</summary>
    public Browser NewBrowser(CookieContainer cookies) =>
        new(CreateDefaultClient(new Uri("https://localhost"), new CookieContainerHandler(cookies)));

    /// <summary>Runs <paramref name="action"/> with a scope of the app's services (for checks an auditor would make in the database).</summary>
    public async Task<T> WithDbAsync<T>(Func<DerbesDb, Task<T>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<DerbesDb>());
    }

    /// <summary>
    /// What the database holds, read below the application: on SQLite the bytes of the file and its
    /// write-ahead log; on PostgreSQL every column of every row (see <see cref="TestDatabase.DumpPostgresAsync"/>).
    /// </summary>
    public async Task<byte[]> RawDatabaseAsync()
    {
        if (Database is not null)
        {
            return await TestDatabase.DumpPostgresAsync(Database);
        }
        // The log first, then the file: a checkpoint that moves the log's pages into the file and
        // removes the log between the two reads still leaves every page read once. The -shm file is
        // the log's shared-memory index (no row data); SQLite may remove it at any moment.
        using var bytes = new MemoryStream();
        foreach (var file in new[] { "derbes.db-wal", "derbes.db" })
        {
            try
            {
                await using var stream = new FileStream(Path.Combine(DataDirectory, file), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                await stream.CopyToAsync(bytes);
            }
            catch (FileNotFoundException) when (file.EndsWith("-wal", StringComparison.Ordinal))
            {
                // No log right now: everything is in the file.
            }
        }
        return bytes.ToArray();
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>The id of the account that holds <paramref name="email"/>, found as the app finds it (by its blind index).</summary>
    public Task<Guid> AccountIdAsync(string email)
    {
        var index = Service<Derbes.Web.Security.BlindIndex>().Email(email);
        return WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Users.Where(x => x.EmailIndex == index).Select(x => x.Id)));
    }

    /// <summary>The interface text the app shows for <paramref name="key"/> in Kazakh, the language pages default to.</summary>
    public string Text(string key, params object[] arguments) => TextIn(Languages.Kazakh, key, arguments);

    /// <summary>The interface text the app shows for <paramref name="key"/> in <paramref name="language"/>.</summary>
    public string TextIn(string language, string key, params object[] arguments)
    {
        var localizer = Service<IStringLocalizer<SharedResource>>();
        return Languages.In(language, () => localizer[key, arguments].Value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsStorage)
        {
            SqliteConnection.ClearAllPools();
            if (Database is not null && _ownsDatabase)
            {
                TestDatabase.DropPostgres(Database);
            }
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a worker shutting down: the temp folder is cleaned by the OS.
            }
        }
    }
}

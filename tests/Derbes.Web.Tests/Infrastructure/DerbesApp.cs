using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Startup;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Time.Testing;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// The real application, in process, on its own SQLite file and data folder, with a clock the test can move.
/// Mail and SMS go to the pickup folders, which <see cref="Mailbox"/> and <see cref="SmsInbox"/> read.
/// </summary>
public class DerbesApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public DerbesApp(Dictionary<string, string?>? settings = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "derbes-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Data:Directory"] = DataDirectory,
            ["Site:PublicUrl"] = PublicUrl,
            ["Outbox:PollInterval"] = "00:00:00.200",
            // High enough that ordinary tests never meet the per-IP limit; the rate-limit tests set their own.
            ["RateLimits:AccountPostsPerWindow"] = "100000",
            ["Accounts:ResetMinimumResponseTime"] = "00:00:00.050",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
        Mail = new Mailbox(Path.Combine(DataDirectory, "mail"));
        Sms = new SmsInbox(Path.Combine(DataDirectory, "sms"));
    }

    public const string PublicUrl = "https://shop.example.kz";

    public string DataDirectory { get; }
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    public StringWriter OperatorOutput { get; } = new();
    public Mailbox Mail { get; }
    public SmsInbox Sms { get; }
    public string DatabaseFile => Path.Combine(DataDirectory, "derbes.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
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

    /// <summary>Runs <paramref name="action"/> with a scope of the app's services (for checks an auditor would make in the database).</summary>
    public async Task<T> WithDbAsync<T>(Func<DerbesDb, Task<T>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<DerbesDb>());
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

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
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
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

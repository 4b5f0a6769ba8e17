using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;

namespace Derbes.BrowserTests;

/// <summary>
/// The built site as its own process on a free loopback port, in Development (plain http on 127.0.0.1),
/// with a data folder of its own: what a person reaches with a browser.
/// </summary>
public sealed partial class SiteProcess : IAsyncLifetime
{
    private Process? _process;
    private IPlaywright? _playwright;
    private readonly ConcurrentQueue<string> _console = new();
    private readonly SemaphoreSlim _once = new(1, 1);
    private readonly Dictionary<string, object> _made = [];

    /// <summary>Debian's Chromium, started once for the class (CHROMIUM_PATH overrides /usr/bin/chromium).</summary>
    public IBrowser Browser { get; private set; } = null!;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "derbes-browser", Guid.NewGuid().ToString("N"));
    public string BaseUrl { get; private set; } = "";
    public string MailDirectory => Path.Combine(DataDirectory, "mail");

    public static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Derbes.slnx")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    public async Task InitializeAsync()
    {
        var root = RepositoryRoot();
        var contentRoot = Path.Combine(root, "src", "Derbes.Web");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(contentRoot, "bin", configuration, "net10.0", "Derbes.Web.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Build the site first: {dll} is missing.");
        }
        Directory.CreateDirectory(DataDirectory);
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", BaseUrl, "--contentRoot", contentRoot])
        {
            WorkingDirectory = contentRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Data__Directory"] = DataDirectory;
        start.Environment["Site__PublicUrl"] = BaseUrl;
        start.Environment["Outbox__PollInterval"] = "00:00:00.200";
        // The statistics page of the staff walk shows what the walk itself did.
        start.Environment["Statistics__RefreshInterval"] = "00:00:05";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Each line timed, so a walk that stops can be matched with what the site was doing then (see DisposeAsync).
        start.Environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ";
        _process = Process.Start(start) ?? throw new InvalidOperationException("The site did not start.");
        // What the site prints for its operator (the first administrator's one-time link) is kept for the tests.
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _console.Enqueue(line);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _console.Enqueue("stderr: " + line);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync(BaseUrl + "/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    await LaunchBrowserAsync();
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("The site did not become ready within 60 s.");
    }

    /// <summary>The lines the site has printed on its console so far.</summary>
    public IReadOnlyList<string> ConsoleLines => [.. _console];

    /// <summary>
    /// The one-time link for the first administrator, which the site prints on its console at its first start on an
    /// empty database, as an operator would copy it from a deployment's log.
    /// </summary>
    public async Task<string> FirstAdministratorLinkAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_console.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(BaseUrl + "/setup?token=", StringComparison.Ordinal)) is { } link)
            {
                return link;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The site printed no first-administrator link:\n" + string.Join("\n", _console));
    }

    /// <summary>The first link containing <paramref name="path"/> in an email to <paramref name="to"/> (the site writes its mail as files).</summary>
    public async Task<string> LinkInMailAsync(string to, string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(MailDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(MailDirectory, "*.eml"))
                {
                    var message = await MimeMessage.LoadAsync(file);
                    if (message.To.Mailboxes.Any(m => m.Address == to)
                        && LinkPattern().Matches(message.TextBody ?? "").Select(m => m.Value).FirstOrDefault(l => l.Contains(path, StringComparison.Ordinal)) is { } link)
                    {
                        return link;
                    }
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"No email to {to} with a link to {path}.");
    }

    /// <summary>
    /// Something made once for this site and shared by the tests of the class (the members of staff, say: the
    /// first-administrator link works once), made by the first test that asks for it.
    /// </summary>
    public async Task<T> OnceAsync<T>(string name, Func<Task<T>> make)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(make);
        await _once.WaitAsync();
        try
        {
            if (!_made.TryGetValue(name, out var made))
            {
                made = await make();
                _made[name] = made;
            }
            return (T)made;
        }
        finally
        {
            _once.Release();
        }
    }

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex LinkPattern();

    private async Task LaunchBrowserAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
    }

    /// <summary>Where each site's console output is kept after its tests: artifacts/site-logs at the repository root.</summary>
    public static string LogDirectory => Path.Combine(RepositoryRoot(), "artifacts", "site-logs");

    public async Task DisposeAsync()
    {
        // What the site printed (warnings, errors, the operator's lines), kept for reading after a failed walk.
        if (BaseUrl.Length > 0)
        {
            Directory.CreateDirectory(LogDirectory);
            await File.WriteAllLinesAsync(Path.Combine(LogDirectory, $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-{new Uri(BaseUrl).Port}.log"), _console);
        }
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        _once.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

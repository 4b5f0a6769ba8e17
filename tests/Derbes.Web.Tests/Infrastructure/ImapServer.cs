using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// A real IMAP server for the care-mailbox tests: Debian's Dovecot, started by <c>tools/dovecot.sh</c> with a
/// throwaway configuration in a temporary folder (plain IMAP on a free loopback port, one user) and stopped when
/// disposed. Without Dovecot the tests using it are skipped (<see cref="ImapFactAttribute"/>), except under
/// ./test.sh, which installs it and sets <c>DERBES_REQUIRE_IMAP=1</c>: there a missing server fails them.
/// </summary>
public sealed class ImapServer : IAsyncLifetime
{
    public const string RequireVariable = "DERBES_REQUIRE_IMAP";
    private const string Install = "install Debian's dovecot-imapd (as root: apt-get update && apt-get install -y dovecot-imapd)";

    private string? _directory;

    public int Port { get; private set; }
    public string User { get; private set; } = "";
    public string Password { get; private set; } = "";

    /// <summary>The server's log: one "Logged out … out=BYTES …" line per session, what it sent to the client.</summary>
    public string LogFile => Path.Combine(_directory!, "imap", "log");

    /// <summary>Whether Dovecot is installed here.</summary>
    public static bool Installed =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/local/sbin")
            .Any(d => File.Exists(Path.Combine(d, "dovecot")));

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public async Task InitializeAsync()
    {
        if (!Installed)
        {
            if (Required)
            {
                throw new InvalidOperationException($"The care-mailbox tests need a real IMAP server and Dovecot is not installed: {Install}.");
            }
            return;
        }
        // Traversable by the dovecot user, which the server runs as when the tests run as root.
        var parent = Path.Combine(Path.GetTempPath(), "derbes-dovecot");
        Directory.CreateDirectory(parent);
        _directory = Path.Combine(parent, Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        if (!OperatingSystem.IsWindows())
        {
            var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            File.SetUnixFileMode(parent, open);
            File.SetUnixFileMode(_directory, open);
        }
        var output = await ScriptAsync("start");
        Port = int.Parse(output.Trim(), CultureInfo.InvariantCulture);
        User = (await File.ReadAllTextAsync(Path.Combine(_directory, "imap", "user"))).Trim();
        Password = (await File.ReadAllTextAsync(Path.Combine(_directory, "imap", "password"))).Trim();
    }

    /// <summary>The app's settings for reading this server's mailbox.</summary>
    public Dictionary<string, string?> Settings(string? folder = null, string? doneFolder = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Unsubscribe:Imap:Host"] = "127.0.0.1",
            ["Unsubscribe:Imap:Port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["Unsubscribe:Imap:Security"] = "None",
            ["Unsubscribe:Imap:User"] = User,
            ["Unsubscribe:Imap:Password"] = Password,
        };
        if (folder is not null)
        {
            settings["Unsubscribe:Imap:Folder"] = folder;
        }
        if (doneFolder is not null)
        {
            settings["Unsubscribe:Imap:DoneFolder"] = doneFolder;
        }
        return settings;
    }

    /// <summary>A client signed in to the test mailbox, as a mail program (or the care staff) would be.</summary>
    public async Task<ImapClient> ConnectAsync()
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(User, Password);
        return client;
    }

    /// <summary>A folder of the mailbox, created when missing ('/' separates levels).</summary>
    public static async Task<IMailFolder> FolderAsync(ImapClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(path);
        if (path.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return client.Inbox;
        }
        var folder = client.GetFolder(client.PersonalNamespaces[0]);
        foreach (var name in path.Split('/'))
        {
            try
            {
                folder = await folder.GetSubfolderAsync(name);
            }
            catch (FolderNotFoundException)
            {
                folder = await folder.CreateAsync(name, true) ?? throw new InvalidOperationException("The server did not create " + path);
            }
        }
        return folder;
    }

    private async Task<string> ScriptAsync(string command)
    {
        var script = Path.Combine(RepositoryRoot(), "tools", "dovecot.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(command);
        start.ArgumentList.Add(Path.Combine(_directory!, "imap"));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tools/dovecot.sh {command} failed ({process.ExitCode}): {await stderr}");
        }
        return await stdout;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Derbes.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Derbes.slnx above {AppContext.BaseDirectory}: cannot find tools/dovecot.sh.");
    }

    public async Task DisposeAsync()
    {
        if (_directory is null)
        {
            return;
        }
        await ScriptAsync("stop");
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean with the rest of the temp folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Files of the dovecot user, when the tests do not run as root.
        }
    }
}

/// <summary>
/// A test that needs <see cref="ImapServer"/>: skipped where Dovecot is not installed, unless
/// <c>DERBES_REQUIRE_IMAP=1</c> (./test.sh), where it runs and fails on the missing server.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ImapFactAttribute : FactAttribute
{
    public ImapFactAttribute()
    {
        if (!ImapServer.Installed && !ImapServer.Required)
        {
            Skip = "Dovecot is not installed (apt-get install dovecot-imapd); ./test.sh installs it and runs these tests.";
        }
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own, which it can stop and start (tools/postgres-cluster.sh: the same
/// throwaway cluster ./test.sh runs), for tests of what the app does while its database is away.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private readonly string _folder;
    private readonly string _script;

    public PostgresCluster()
    {
        _script = Path.Combine(RepositoryRoot(), "tools", "postgres-cluster.sh");
        var parent = Path.Combine(Path.GetTempPath(), "derbes-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(parent);
        // As root the server runs as the postgres user, which must be able to reach the folder.
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The throwaway cluster script is for Debian.");
        }
        File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        _folder = Path.Combine(parent, "cluster");
        Port = int.Parse(Run("start").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        Server = $"Host=127.0.0.1;Port={Port};Username=postgres;Timeout=5;Command Timeout=10";
    }

    public int Port { get; }

    /// <summary>The server's connection string, without a database.</summary>
    public string Server { get; }

    public void Stop() => Run("stop");

    /// <summary>Starts the server again on the same port, with its data.</summary>
    public void Start() => Run("start");

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string Run(string command) => Shell($"'{_script}' {command} '{_folder}'");

    private static string Shell(string commandLine)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", commandLine])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(commandLine);
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{commandLine}' failed ({process.ExitCode}): {error.Result}");
        }
        return output.Result;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Derbes.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Derbes.slnx not found above " + AppContext.BaseDirectory);
    }
}

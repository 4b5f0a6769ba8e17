using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Derbes.Bench;

/// <summary>
/// A throwaway PostgreSQL cluster started with tools/postgres-cluster.sh (the one ./test.sh uses), stopped
/// and deleted on dispose, on Ctrl+C and at process exit, so a failed run leaves no server behind.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _folder;
    private int _stopped;

    private PostgresCluster(string script, string folder, int port)
    {
        _script = script;
        _folder = folder;
        Port = port;
        Console.CancelKeyPress += OnCancel;
        AppDomain.CurrentDomain.ProcessExit += OnExit;
    }

    public int Port { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Include Error Detail=true";

    public static async Task<PostgresCluster> StartAsync(string root)
    {
        // As root the script runs PostgreSQL as the postgres user, which must be able to reach the folder.
        var folder = Path.Combine(Path.GetTempPath(), "derbes-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        }
        var script = Path.Combine(root, "tools", "postgres-cluster.sh");
        var (code, output, error) = await RunAsync(script, "start", Path.Combine(folder, "c"));
        if (code != 0 || !int.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            await RunAsync(script, "stop", Path.Combine(folder, "c"));
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException($"The PostgreSQL cluster did not start: {output} {error}");
        }
        return new PostgresCluster(script, folder, port);
    }

    /// <summary>Creates a database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return ConnectionString(name);
    }

    /// <summary>Server settings for a bulk load on a throwaway cluster (fewer checkpoints, more sort memory for index builds).</summary>
    public async Task TuneForBulkLoadAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        foreach (var sql in new[] { "ALTER SYSTEM SET max_wal_size = '4GB'", "ALTER SYSTEM SET maintenance_work_mem = '256MB'", "SELECT pg_reload_conf()" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>CPU milliseconds used so far by the server: the postmaster, its live backends and the ones that ended.</summary>
    public double ServerCpuMs()
    {
        try
        {
            var postmaster = int.Parse(File.ReadLines(Path.Combine(_folder, "c", "pgdata", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            var total = BenchPaths.CpuMs($"/proc/{postmaster}/stat", withWaitedChildren: true);
            foreach (var process in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(process, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (fields[1] == postmaster.ToString(CultureInfo.InvariantCulture))
                    {
                        total += BenchPaths.CpuMs(Path.Combine(process, "stat"));
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
            return total;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Console.CancelKeyPress -= OnCancel;
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        NpgsqlConnection.ClearAllPools();
        await StopAsync();
    }

    private async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        await RunAsync(_script, "stop", Path.Combine(_folder, "c"));
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"Could not delete {_folder}: {ex.Message}");
        }
    }

    private void OnCancel(object? sender, ConsoleCancelEventArgs e) => StopAsync().GetAwaiter().GetResult();

    private void OnExit(object? sender, EventArgs e) => StopAsync().GetAwaiter().GetResult();

    private static async Task<(int Code, string Output, string Error)> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [script, .. arguments])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}

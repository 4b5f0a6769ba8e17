using System.Diagnostics;
using System.Reflection;

namespace Derbes.Web.Backups;

/// <summary>
/// Runs the site's own <c>backup</c> command in a child process: the same program, configuration (the environment is
/// inherited, the site's command-line settings, content root and environment name are passed on) and data folder, but
/// its own process, which lowers itself to <see cref="BackupOptions.Nice"/> before it starts. A copy made inside the
/// site would run at the site's priority and compete with the sign-ins for the cores for the minutes it takes.
/// </summary>
public sealed class BackupProcess(IHostEnvironment environment, ILogger<BackupProcess> logger)
{
    /// <summary>The argument after <c>backup</c> that records the copy as the schedule's.</summary>
    public const string ScheduledArgument = "scheduled";

    /// <summary>
    /// How this site is started again with <paramref name="arguments"/> in front of its own, or null when this
    /// process is not the site (a test host, which cannot be started as the site).
    /// </summary>
    public ProcessStartInfo? StartInfo(params string[] arguments)
    {
        var entry = Assembly.GetEntryAssembly();
        return entry != typeof(Program).Assembly || Environment.ProcessPath is not { } path
            ? null
            : StartInfo(path, entry.Location, Environment.GetCommandLineArgs().Skip(1), arguments);
    }

    /// <summary>
    /// Starts <paramref name="assembly"/> (the site's program) with <paramref name="arguments"/> and then the site's own
    /// <paramref name="siteArguments"/> (its command-line settings), through <paramref name="program"/>: the
    /// <c>dotnet</c> host, or the site's own executable.
    /// </summary>
    public ProcessStartInfo StartInfo(string program, string assembly, IEnumerable<string> siteArguments, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        // `dotnet Derbes.Web.dll`: the host needs the program's file; the apphost `Derbes.Web` is the program itself.
        if (string.Equals(Path.GetFileNameWithoutExtension(program), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(assembly);
        }
        foreach (var argument in arguments.Concat(siteArguments))
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(environment.ContentRootPath);
        start.ArgumentList.Add("--environment");
        start.ArgumentList.Add(environment.EnvironmentName);
        return start;
    }

    /// <summary>Logs that a copy runs in the site's process although <see cref="BackupOptions.ChildProcess"/> is on.</summary>
    public void WarnInProcess() =>
        logger.LogWarning("The archive copy runs in the site's process: this process is not the site's own program, so it cannot start its backup command.");

    /// <summary>
    /// Runs the process to its end, its output written to the log; returns its exit code and its lines of output.
    /// Stopping the site (<paramref name="cancellationToken"/>) ends the child too: its unfinished file stays
    /// <c>.partial</c> and is never taken for a copy.
    /// </summary>
    public async Task<(int ExitCode, IReadOnlyList<string> Output)> RunAsync(ProcessStartInfo start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        using var process = new Process { StartInfo = start };
        var lines = new List<string>();
        void Line(string? line, bool error)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                return;
            }
            lock (lines)
            {
                lines.Add(line);
            }
            if (error)
            {
                logger.LogWarning("backup process: {Line}", line);
            }
            else
            {
                logger.LogInformation("backup process: {Line}", line);
            }
        }
        process.OutputDataReceived += (_, e) => Line(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => Line(e.Data, error: true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, lines);
    }
}

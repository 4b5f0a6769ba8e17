using Derbes.Web.Backups;
using Derbes.Web.Tests.Infrastructure;

namespace Derbes.Web.Tests.Backups;

/// <summary>
/// The schedule's archive copy runs as the site's own <c>backup</c> command in a child process at a lower CPU priority,
/// so a copy of minutes never takes the cores from the sign-ins. Here the real program (the built Derbes.Web.dll beside
/// the tests) is started as the schedule starts it, over the test site's configuration, database and data folder.
/// </summary>
public sealed class BackupProcessTests
{
    /// <summary>The dotnet host running the tests, which runs the built site's program as the site's own host would.</summary>
    private static string Dotnet =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    /// <summary>The built site's program, beside the tests.</summary>
    private static readonly string SiteProgram = Path.Combine(AppContext.BaseDirectory, "Derbes.Web.dll");

    /// <summary>A test site's settings as the site's command line would give them, except those <paramref name="replaced"/>.</summary>
    private static List<string> Settings(DerbesApp app, params string[] replaced) =>
        app.Settings.Where(s => s.Value is not null && !replaced.Contains(s.Key)).Select(s => $"--{s.Key}={s.Value}").ToList();

    [Fact]
    public async Task TheScheduledCopyIsTheSitesOwnCommandRunningAtALowerPriorityAndItVerifies()
    {
        using var app = new DerbesApp();
        await CustomerSeed.AddAsync(app, 5, _ => false);
        var process = app.Service<BackupProcess>();
        var settings = Settings(app);
        var start = process.StartInfo(Dotnet, SiteProgram, settings, "backup", BackupProcess.ScheduledArgument);

        var (exitCode, output) = await process.RunAsync(start, CancellationToken.None);

        Assert.True(exitCode == 0, string.Join('\n', output));
        // Every thread of the command, and so pg_dump started by one of them, runs at nice 10 (Backup:Nice).
        Assert.Contains(output, line => line.StartsWith("priority: nice 10 to 10 on the process's ", StringComparison.Ordinal));
        var latest = await app.Service<ArchiveCopies>().LatestAsync(CancellationToken.None);
        Assert.NotNull(latest);
        Assert.Equal("scheduled", latest.Origin);
        Assert.Equal(5, latest.Tables["AspNetUsers"]);
        // The check an operator runs beside the serving site yields the cores too.
        var archive = Path.Combine(app.Service<ArchiveCopies>().Directory, latest.Name);
        var (verifyExit, verified) = await process.RunAsync(process.StartInfo(Dotnet, SiteProgram, settings, "verify-backup", archive), CancellationToken.None);
        Assert.True(verifyExit == 0, string.Join('\n', verified));
        Assert.Contains(verified, line => line.StartsWith("priority: nice 10 to 10 on the process's ", StringComparison.Ordinal));
        Assert.Contains("verify-backup: OK", verified);
    }

    [Fact]
    public async Task AFailingCommandIsReportedWithItsExitCodeAndMakesNoCopy()
    {
        using var app = new DerbesApp();
        var process = app.Service<BackupProcess>();
        // An archive folder that cannot be created (a file is in its way).
        var blocked = Path.Combine(app.DataDirectory, "not-a-folder");
        await File.WriteAllTextAsync(blocked, "");
        var settings = Settings(app).Append($"--Backup:Directory={Path.Combine(blocked, "backups")}");

        var (exitCode, output) = await process.RunAsync(process.StartInfo(Dotnet, SiteProgram, settings, "backup"), CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Contains(output, line => line.StartsWith("backup FAILED: ", StringComparison.Ordinal) && line.Contains("not-a-folder", StringComparison.Ordinal));
        Assert.Null(await app.Service<ArchiveCopies>().LatestAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ADatabaseTheSiteHasNeverMigratedIsRefusedWithWhatToDo()
    {
        using var app = new DerbesApp();
        var process = app.Service<BackupProcess>();
        // A data folder of its own, never served from: on SQLite an empty database file, on PostgreSQL an empty database.
        var data = Path.Combine(Path.GetTempPath(), "derbes-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var settings = Settings(app, "Data:Directory", "ConnectionStrings:Derbes");
        settings.Add($"--Data:Directory={data}");
        if (TestDatabase.PostgresServer is { } server)
        {
            settings.Add($"--ConnectionStrings:Derbes={TestDatabase.CreatePostgres(server)}");
        }

        var (exitCode, output) = await process.RunAsync(process.StartInfo(Dotnet, SiteProgram, settings, "backup"), CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Contains(output, line => line.StartsWith("backup FAILED: The database lacks ", StringComparison.Ordinal) && line.Contains("Start the site once", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(data, "backups")) && Directory.EnumerateFiles(Path.Combine(data, "backups"), "*.dbk").Any());
    }
}

using Derbes.Web.Calendar;
using Derbes.Web.Data;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Backups;

/// <summary>
/// Makes the daily archive copy at <see cref="BackupOptions.At"/> (Asia/Almaty), or at the next look when the site was
/// down then, deletes copies past their retention, and, at every look, rewrites the key copies that still hold a key
/// destroyed since they were written (<see cref="KeyCopies.ForgetDestroyedAsync"/>). Instances sharing the backup folder
/// take a lock file in it, so one of them makes the day's copy.
/// </summary>
public sealed class BackupSchedule(
    IServiceScopeFactory scopes,
    ArchiveCopies archives,
    KeyCopies keyCopies,
    BackupProcess process,
    IOptionsMonitor<BackupOptions> options,
    TimeProvider clock,
    ILogger<BackupSchedule> logger) : PeriodicJob(clock, logger)
{
    protected override TimeSpan Interval => options.CurrentValue.CheckInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await ForgetDestroyedKeysAsync(cancellationToken);
        if (options.CurrentValue.Scheduled && await DueAsync(cancellationToken))
        {
            await RunScheduledAsync(cancellationToken);
        }
    }

    /// <summary>Rewrites the key copies that still hold destroyed keys; returns how many.</summary>
    public async Task<int> ForgetDestroyedKeysAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await keyCopies.ForgetDestroyedAsync(scope.ServiceProvider.GetRequiredService<DerbesDb>(), cancellationToken);
    }

    /// <summary>True when today's copy (after today's time of day in Almaty) is not in the backup folder yet.</summary>
    public async Task<bool> DueAsync(CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var local = now.ToAlmaty();
        var todayAt = new DateTimeOffset(DateOnly.FromDateTime(local.DateTime), options.CurrentValue.At, WorkingCalendar.AlmatyOffset);
        var since = now >= todayAt ? todayAt : todayAt.AddDays(-1);
        var latest = await archives.LatestAsync(cancellationToken);
        return latest is null || latest.CreatedAt < since;
    }

    /// <summary>The scheduled copy and the retention that follows it, under the folder's lock file.</summary>
    public async Task<BackupManifest?> RunScheduledAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(archives.Directory);
        var lockPath = Path.Combine(archives.Directory, "backup.lock");
        // A lock left by a crashed run goes stale after six hours.
        if (File.Exists(lockPath) && File.GetLastWriteTimeUtc(lockPath) < DateTime.UtcNow.AddHours(-6))
        {
            File.Delete(lockPath);
        }
        FileStream held;
        try
        {
            held = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            return null;
        }
        await using (held)
        {
            if (!await DueAsync(cancellationToken))
            {
                return null;
            }
            var manifest = await CreateAsync(cancellationToken);
            await archives.DeleteExpiredAsync(cancellationToken);
            return manifest;
        }
    }

    /// <summary>
    /// The copy itself: the site's <c>backup scheduled</c> command in a child process at a lower priority
    /// (<see cref="BackupOptions.ChildProcess"/>), or in this process when that is off or this is not the site's process.
    /// </summary>
    private async Task<BackupManifest> CreateAsync(CancellationToken cancellationToken)
    {
        // One line per log entry: the child's lines are relayed into the site's log one by one.
        var start = options.CurrentValue.ChildProcess
            ? process.StartInfo("backup", BackupProcess.ScheduledArgument, "--Logging:Console:FormatterOptions:SingleLine=true")
            : null;
        if (start is null)
        {
            if (options.CurrentValue.ChildProcess)
            {
                process.WarnInProcess();
            }
            return await archives.CreateAsync("scheduled", cancellationToken);
        }
        var begun = Clock.GetUtcNow().AddSeconds(-1);
        var (exitCode, output) = await process.RunAsync(start, cancellationToken);
        var latest = await archives.LatestAsync(cancellationToken);
        if (exitCode != 0 || latest is null || latest.CreatedAt < begun)
        {
            throw new BackupException($"The backup process ended with exit code {exitCode} and made no copy: {(output.Count > 0 ? output[^1] : "no output")}");
        }
        return latest;
    }
}

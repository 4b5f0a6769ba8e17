using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Backups;

/// <summary>Archive copies (policy 3.3): where they go, when they are made and how long they are kept.</summary>
public sealed class BackupOptions
{
    public const string Section = "Backup";

    /// <summary>Where archive copies are written (relative to the data folder, or absolute). Put it on other storage than the database in production.</summary>
    [Required]
    public string Directory { get; set; } = "backups";

    /// <summary>
    /// Where the copies of the customers' data keys are written, apart from the archive copies: restoring needs both,
    /// and a destroyed customer's key is also removed from these copies, so their data in old archives cannot be opened.
    /// </summary>
    [Required]
    public string KeyDirectory { get; set; } = "backup-keys";

    /// <summary>Archive copies older than this are deleted by the schedule.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Key copies are kept for a short time only: the newest is what a restore needs.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan KeyRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The daily scheduled copy, off when false (the backup command still works).</summary>
    public bool Scheduled { get; set; } = true;

    /// <summary>The time of day of the scheduled copy, Asia/Almaty.</summary>
    public TimeOnly At { get; set; } = new(3, 0);

    /// <summary>How often the schedule looks whether a copy is due and whether key copies must forget destroyed keys.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "60.00:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The nice value (0–19) the <c>backup</c> and <c>verify-backup</c> commands run at on Linux, pg_dump and pg_restore
    /// with them: they then take the cores only when sign-ins leave them free. 0 keeps the priority they were started with.
    /// </summary>
    [Range(0, 19)]
    public int Nice { get; set; } = 10;

    /// <summary>
    /// The scheduled copy runs as the site's own <c>backup</c> command in a child process (at <see cref="Nice"/>), so that
    /// its work never runs at the site's priority. False makes it in the site's process (the tests' fake clock needs that).
    /// </summary>
    public bool ChildProcess { get; set; } = true;

    /// <summary>pg_dump and pg_restore are looked up on PATH and in /usr/lib/postgresql; set this folder to choose.</summary>
    public string? PostgresBin { get; set; }
}

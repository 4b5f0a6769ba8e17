using System.Globalization;
using Derbes.Web.Audit;
using Derbes.Web.Backups;
using Derbes.Web.Data;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Startup;

/// <summary>
/// Operator commands run with the site's own configuration instead of serving it:
/// <c>dotnet run --project src/Derbes.Web -- verify-audit</c> (the audit trail and the consent ledger) or
/// <c>-- verify-consents</c> (the consent ledger alone), <c>-- backup</c> (an archive copy and a key copy now),
/// <c>-- restore ARCHIVE [--keys KEYCOPY]</c> (into an empty instance) and <c>-- verify-backup ARCHIVE [--keys KEYCOPY]</c>
/// (restored into a temporary database and checked).
/// </summary>
public static class Commands
{
    /// <summary>The command named by the arguments, or null to run the site.</summary>
    public static string? Named(string[] args) =>
        args is [var first, ..] && first is "verify-audit" or "verify-consents" or "backup" or "restore" or "verify-backup" ? first : null;

    public static async Task<int> RunAsync(WebApplication app, string command, string[] arguments, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(output);
        if (command is "backup" or "verify-backup")
        {
            // A copy, and a check that restores one into a temporary database, run beside a serving site (the
            // schedule starts `backup scheduled` as a child of the site): they take the cores only when the site
            // leaves them free. On Linux every thread is lowered, so pg_dump and pg_restore started later are too.
            await LowerPriorityAsync(app.Services, output);
        }
        return command switch
        {
            "verify-audit" => await VerifyAuditAsync(app.Services, output, CancellationToken.None),
            "verify-consents" => await VerifyConsentsAsync(app.Services, output, CancellationToken.None),
            "backup" => await BackupAsync(app.Services, output, CancellationToken.None, arguments.Contains(BackupProcess.ScheduledArgument) ? "scheduled" : "command"),
            "restore" or "verify-backup" => await RestoreAsync(app.Services, command, arguments, output, CancellationToken.None),
            _ => 2,
        };
    }

    /// <summary>Lowers this whole process to <see cref="BackupOptions.Nice"/> (Linux) and says so.</summary>
    private static async Task LowerPriorityAsync(IServiceProvider services, TextWriter output)
    {
        var nice = services.GetRequiredService<IOptions<BackupOptions>>().Value.Nice;
        if (nice > 0 && ProcessPriority.Lower(nice))
        {
            var values = ProcessPriority.ThreadNiceValues();
            await output.WriteLineAsync(FormattableString.Invariant($"priority: nice {values.Min()} to {values.Max()} on the process's {values.Count} threads"));
        }
    }

    /// <summary>Writes an archive copy and a key copy now; exit code 0, or 1 with the reason.</summary>
    public static async Task<int> BackupAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken, string origin = "command")
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);
        var archives = services.GetRequiredService<ArchiveCopies>();
        try
        {
            var manifest = await archives.CreateAsync(origin, cancellationToken);
            await output.WriteLineAsync(FormattableString.Invariant($"archive copy: {Path.Combine(archives.Directory, manifest.Name)} ({manifest.Size} bytes, sha256 {manifest.Sha256})"));
            await output.WriteLineAsync(FormattableString.Invariant($"  {manifest.Tables.Count} tables, {manifest.Tables.Values.Sum()} rows, {manifest.Documents} documents ({manifest.DocumentBytes} bytes)"));
            await output.WriteLineAsync($"key copy: {Path.Combine(services.GetRequiredService<KeyCopies>().Directory, manifest.KeyCopy)}");
            return 0;
        }
        catch (Exception ex) when (ex is BackupException or IOException or UnauthorizedAccessException)
        {
            // A folder that cannot be written is the operator's to fix: the reason, not a stack trace.
            await output.WriteLineAsync("backup FAILED: " + ex.Message);
            return 1;
        }
    }

    /// <summary>
    /// ARCHIVE and the optional <c>--keys KEYCOPY</c> among the arguments; the site's own settings given on the same
    /// command line (<c>--Section:Key=value</c> or <c>--Section:Key value</c>) are configuration, not the command's.
    /// The archive is null unless exactly one is named.
    /// </summary>
    public static (string? Archive, string? Keys) ArchiveArguments(IReadOnlyList<string> arguments)
    {
        var (positional, keys, _) = Split(arguments);
        return (positional.Count == 1 ? positional[0] : null, keys);
    }

    /// <summary>
    /// The site's settings among a command's arguments, for the configuration: without the command's own file names,
    /// which the command line's configuration would otherwise take for keys (a path starting with '/' is a Windows-style
    /// switch to it, and swallows the setting after it).
    /// </summary>
    public static string[] Settings(IReadOnlyList<string> arguments) => [.. Split(arguments).Settings];

    private static (List<string> Positional, string? Keys, List<string> Settings) Split(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var positional = new List<string>();
        var settings = new List<string>();
        string? keys = null;
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument == "--keys" && i + 1 < arguments.Count)
            {
                keys = arguments[++i];
            }
            else if (argument.StartsWith('-') && argument.Length > 1)
            {
                // A setting: its value is in it after '=', or the next argument.
                settings.Add(argument);
                if (!argument.Contains('=', StringComparison.Ordinal) && i + 1 < arguments.Count)
                {
                    settings.Add(arguments[++i]);
                }
            }
            else
            {
                positional.Add(argument);
            }
        }
        return (positional, keys, settings);
    }

    /// <summary><c>restore</c> or <c>verify-backup</c> ARCHIVE [--keys KEYCOPY]: exit code 0, 1 with the reason, 2 for wrong arguments.</summary>
    public static async Task<int> RestoreAsync(IServiceProvider services, string command, string[] arguments, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(output);
        var (archive, keys) = ArchiveArguments(arguments);
        if (archive is null)
        {
            await output.WriteLineAsync($"usage: {command} ARCHIVE [--keys KEYCOPY]   (the key copy defaults to the newest in Backup:KeyDirectory)");
            return 2;
        }
        var file = Path.GetFullPath(archive);
        var archives = services.GetRequiredService<ArchiveCopies>();
        try
        {
            if (command == "restore")
            {
                var report = await archives.RestoreAsync(file, keys is null ? null : Path.GetFullPath(keys), cancellationToken);
                await output.WriteLineAsync($"restored {report.Manifest.Name} (made {report.Manifest.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}) with key copy {report.KeyCopy}");
                await output.WriteLineAsync(FormattableString.Invariant($"  {report.Tables.Count} tables, {report.Tables.Values.Sum()} rows, {report.Documents} documents; customer keys: {report.KeysOpen} open, {report.KeysDestroyed} destroyed"));
                return 0;
            }
            var (verified, chains, problems) = await archives.VerifyAsync(file, keys is null ? null : Path.GetFullPath(keys), cancellationToken);
            await output.WriteLineAsync($"archive copy {verified.Manifest.Name}: checksum, encryption and documents ({verified.Documents}) verified; key copy {verified.KeyCopy}");
            await output.WriteLineAsync(FormattableString.Invariant($"  tables: {verified.Tables.Count}, rows: {verified.Tables.Values.Sum()}; customer keys: {verified.KeysOpen} open, {verified.KeysDestroyed} destroyed"));
            await output.WriteLineAsync("  " + AuditLine(chains));
            await output.WriteLineAsync("  " + ConsentLine(chains.ConsentRecords, chains.FirstBrokenConsentRecord));
            foreach (var problem in problems)
            {
                await output.WriteLineAsync("  PROBLEM: " + problem);
            }
            await output.WriteLineAsync(problems.Count == 0 ? "verify-backup: OK" : "verify-backup: FAILED");
            return problems.Count == 0 ? 0 : 1;
        }
        catch (BackupException ex)
        {
            await output.WriteLineAsync($"{command} REFUSED: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Checks both chains; exit code 0 when intact, 1 with the first broken row named otherwise. Also prints the
    /// public key that checkpoint signatures verify with, for an auditor to keep.
    /// </summary>
    public static async Task<int> VerifyAuditAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);
        await using var scope = services.CreateAsyncScope();
        var signer = scope.ServiceProvider.GetRequiredService<CheckpointSigner>();
        var report = await ChainVerifier.VerifyAsync(scope.ServiceProvider.GetRequiredService<DerbesDb>(), signer, cancellationToken);
        await output.WriteLineAsync(AuditLine(report));
        await output.WriteLineAsync(ConsentLine(report.ConsentRecords, report.FirstBrokenConsentRecord));
        await output.WriteLineAsync($"audit checkpoint key {signer.CurrentKeyId}: ed25519 public key {signer.PublicKeyHex(signer.CurrentKeyId)}");
        if (report.Checkpoint is { } checkpoint && checkpoint.KeyId != signer.CurrentKeyId && signer.PublicKeyHex(checkpoint.KeyId) is { } older)
        {
            await output.WriteLineAsync($"audit checkpoint key {checkpoint.KeyId}: ed25519 public key {older}");
        }
        return report.Intact ? 0 : 1;
    }

    /// <summary>Walks the consent ledger; exit code 0 when intact, 1 with the first broken record named otherwise.</summary>
    public static async Task<int> VerifyConsentsAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);
        await using var scope = services.CreateAsyncScope();
        var (count, broken) = await ChainVerifier.VerifyConsentLedgerAsync(scope.ServiceProvider.GetRequiredService<DerbesDb>(), cancellationToken);
        await output.WriteLineAsync(ConsentLine(count, broken));
        return broken is null ? 0 : 1;
    }

    private static string ConsentLine(long count, long? broken) => broken is { } c
        ? $"consent ledger: BROKEN at record {c} (after {count} intact records)"
        : $"consent ledger: intact ({count} records)";

    private static string AuditLine(ChainReport report)
    {
        var checkpoint = report.Checkpoint is { } k
            ? FormattableString.Invariant($" after checkpoint {k.Id} signed by key {k.KeyId} at {k.At.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}; {k.PurgedEntries} older entries purged up to entry {k.LastPurgedId} behind {k.Checkpoints} checkpoints")
            : "";
        if (report.BrokenCheckpoint is { } broken)
        {
            var reason = report.CheckpointProblem switch
            {
                CheckpointProblem.Signature => "its signature does not verify: edited or forged",
                CheckpointProblem.UnknownKey => "signed with a key the key file does not hold",
                CheckpointProblem.Gap => "it does not start where the checkpoint before it ended: a checkpoint is missing",
                _ => "no entry follows it: entries after it were removed",
            };
            return $"audit trail: BROKEN at checkpoint {broken} ({reason})"
                + (report.FirstBrokenAuditEntry is { } entry ? $"; and at entry {entry}" : "");
        }
        return report.FirstBrokenAuditEntry is { } a
            ? $"audit trail: BROKEN at entry {a} (after {report.AuditEntries} intact entries{checkpoint})"
            : $"audit trail: intact ({report.AuditEntries} entries{checkpoint})";
    }
}

using Derbes.Web.Audit;
using Derbes.Web.Data;

namespace Derbes.Web.Startup;

/// <summary>
/// Operator commands run with the site's own configuration instead of serving it:
/// <c>dotnet run --project src/Derbes.Web -- verify-audit</c> (the audit trail and the consent ledger) or
/// <c>-- verify-consents</c> (the consent ledger alone).
/// </summary>
public static class Commands
{
    /// <summary>The command named by the arguments, or null to run the site.</summary>
    public static string? Named(string[] args) => args is [var first, ..] && first is "verify-audit" or "verify-consents" ? first : null;

    public static async Task<int> RunAsync(WebApplication app, string command, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(output);
        return command switch
        {
            "verify-audit" => await VerifyAuditAsync(app.Services, output, CancellationToken.None),
            "verify-consents" => await VerifyConsentsAsync(app.Services, output, CancellationToken.None),
            _ => 2,
        };
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

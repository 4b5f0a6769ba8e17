using Derbes.Web.Audit;
using Derbes.Web.Data;

namespace Derbes.Web.Startup;

/// <summary>
/// Operator commands run with the site's own configuration instead of serving it:
/// <c>dotnet run --project src/Derbes.Web -- verify-audit</c>.
/// </summary>
public static class Commands
{
    /// <summary>The command named by the arguments, or null to run the site.</summary>
    public static string? Named(string[] args) => args is [var first, ..] && first == "verify-audit" ? first : null;

    public static async Task<int> RunAsync(WebApplication app, string command, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(output);
        return command switch
        {
            "verify-audit" => await VerifyAuditAsync(app.Services, output, CancellationToken.None),
            _ => 2,
        };
    }

    /// <summary>Checks both chains; exit code 0 when intact, 1 with the first broken row named otherwise.</summary>
    public static async Task<int> VerifyAuditAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(output);
        await using var scope = services.CreateAsyncScope();
        var report = await ChainVerifier.VerifyAsync(scope.ServiceProvider.GetRequiredService<DerbesDb>(), cancellationToken);
        await output.WriteLineAsync(report.FirstBrokenAuditEntry is { } a
            ? $"audit trail: BROKEN at entry {a} (after {report.AuditEntries} intact entries)"
            : $"audit trail: intact ({report.AuditEntries} entries)");
        await output.WriteLineAsync(report.FirstBrokenConsentRecord is { } c
            ? $"consent ledger: BROKEN at record {c} (after {report.ConsentRecords} intact records)"
            : $"consent ledger: intact ({report.ConsentRecords} records)");
        return report.Intact ? 0 : 1;
    }
}

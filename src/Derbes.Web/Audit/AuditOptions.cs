using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Audit;

/// <summary>
/// How long the audit trail is kept, bound from the "Audit" section. Read through <c>IOptionsMonitor</c>: the
/// retention may be changed while the site runs, and the next purge uses the new value.
/// </summary>
public sealed class AuditOptions : IValidatableObject
{
    public const string Section = "Audit";

    /// <summary>The shortest retention allowed: a year of entries is the least an inquiry into an incident needs.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(365);

    /// <summary>The longest: beyond a century the cut-off date is no longer a date.</summary>
    public static readonly TimeSpan MaximumRetention = TimeSpan.FromDays(36_500);

    /// <summary>Entries older than this are removed, behind a signed checkpoint. Three years by default.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1095);

    /// <summary>Entries removed per transaction (one checkpoint each): audit writers wait for the chain lock meanwhile.</summary>
    [Range(1, 100_000)]
    public int PurgeBatchSize { get; set; } = 5_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Retention < MinimumRetention || Retention > MaximumRetention)
        {
            yield return new ValidationResult(
                $"Audit:Retention must be between {MinimumRetention.TotalDays:0} and {MaximumRetention.TotalDays:0} days.", [nameof(Retention)]);
        }
    }
}

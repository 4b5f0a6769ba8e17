using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Retention;

/// <summary>
/// The retention periods of the categories that have no section of their own, and when the daily retention run
/// goes (the "Retention" section). The other periods stay where they were: <c>Documents:VerifiedRetention</c>,
/// <c>Documents:RejectedRetention</c>, <c>Accounts:ClosingGracePeriod</c>, <c>Audit:Retention</c>; the table at
/// /admin/retention shows them all. Read at every run, so a changed period applies from the next one.
/// </summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";

    /// <summary>An account whose email was never confirmed is destroyed this long after registration.</summary>
    public TimeSpan UnconfirmedAccounts { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Sign-in history (the sessions: when, from which device and address) is kept this long after its last use.</summary>
    public TimeSpan SignInHistory { get; set; } = TimeSpan.FromDays(365);

    /// <summary>The time of day, in Asia/Almaty, from which the day's run is due (02:00: the quietest hour).</summary>
    public TimeOnly RunTime { get; set; } = new(2, 0);

    /// <summary>
    /// How often each instance looks whether the day's run is due or a run stopped midway needs finishing: the run
    /// starts at the first look after <see cref="RunTime"/>.
    /// </summary>
    // At most what a timer can wait (Task.Delay refuses more than 49.7 days).
    [Range(typeof(TimeSpan), "00:00:01", "49.00:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UnconfirmedAccounts < TimeSpan.FromDays(1) || UnconfirmedAccounts > TimeSpan.FromDays(365))
        {
            yield return new ValidationResult("Retention:UnconfirmedAccounts must be between 1 and 365 days.", [nameof(UnconfirmedAccounts)]);
        }
        if (SignInHistory < TimeSpan.FromDays(1) || SignInHistory > TimeSpan.FromDays(3650))
        {
            yield return new ValidationResult("Retention:SignInHistory must be between 1 and 3650 days.", [nameof(SignInHistory)]);
        }
    }
}

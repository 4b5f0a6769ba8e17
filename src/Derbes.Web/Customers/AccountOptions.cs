using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Customers;

/// <summary>The numbers of the account pages (SECURITY-CHECKS.md); defaults are the documented ones.</summary>
public sealed class AccountOptions
{
    public const string Section = "Accounts";

    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>Each further lock lasts twice the previous one, up to this.</summary>
    public TimeSpan MaxLockoutDuration { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan EmailConfirmationLifetime { get; set; } = TimeSpan.FromHours(24);
    public TimeSpan PhoneCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);
    [Range(1, 20)]
    public int PhoneCodeMaxAttempts { get; set; } = 5;
    public TimeSpan PhoneCodeResendCooldown { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ResetLifetime { get; set; } = TimeSpan.FromMinutes(60);
    /// <summary>Reset requests per account per hour; more are answered the same way but send nothing.</summary>
    [Range(1, 100)]
    public int ResetRequestsPerHour { get; set; } = 3;
    /// <summary>Reset requests are answered no sooner than this, whether or not the account exists.</summary>
    public TimeSpan ResetMinimumResponseTime { get; set; } = TimeSpan.FromMilliseconds(400);

    public TimeSpan CustomerIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>Staff sessions idle out sooner and are never remembered (SECURITY-CHECKS 13).</summary>
    public TimeSpan StaffIdleTimeout { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan RememberMeLifetime { get; set; } = TimeSpan.FromDays(14);
    public TimeSpan AbsoluteSessionLifetime { get; set; } = TimeSpan.FromHours(12);

    [Range(8, 64)]
    public int MinPasswordLength { get; set; } = 8;
    public int RecommendedPasswordLength { get; set; } = 15;
    /// <summary>Longer passwords get a clear error, never a slow hash (SECURITY-CHECKS 1).</summary>
    public int MaxPasswordBytes { get; set; } = 256;

    public TimeSpan DocumentReviewDue { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a closing account waits before its data is destroyed; signing in within it can undo the closure.</summary>
    public TimeSpan ClosingGracePeriod { get; set; } = TimeSpan.FromDays(14);
}

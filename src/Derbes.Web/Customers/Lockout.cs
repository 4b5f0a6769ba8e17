namespace Derbes.Web.Customers;

/// <summary>
/// The one lockout rule (SECURITY-CHECKS 7), used by every place that checks a secret of the account: a sign-in's
/// password or second factor, the current password asked again in the cabinet or the app, the code on the reopen
/// page. The failures share one counter; the <see cref="AccountOptions.MaxFailedSignIns"/>-th in a row locks the
/// account, and each lock in a row lasts twice as long as the one before, up to <see cref="AccountOptions.MaxLockoutDuration"/>.
/// </summary>
public static class Lockout
{
    /// <summary>Whether the account is locked now: no secret is checked while it is.</summary>
    public static bool IsLocked(Account account, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        return account.LockoutEnd is { } until && until > now;
    }

    /// <summary>
    /// Counts one failure. Returns the lock's length when this failure locked the account (the counter then starts
    /// again), otherwise null. Changes the account only; the caller audits and saves.
    /// </summary>
    public static TimeSpan? CountFailure(Account account, AccountOptions limits, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(limits);
        account.AccessFailedCount++;
        if (account.AccessFailedCount < limits.MaxFailedSignIns)
        {
            return null;
        }
        account.LockoutCount++;
        var factor = Math.Pow(2, Math.Min(account.LockoutCount - 1, 16));
        var duration = TimeSpan.FromTicks((long)Math.Min(limits.LockoutDuration.Ticks * factor, limits.MaxLockoutDuration.Ticks));
        account.LockoutEnd = now + duration;
        account.AccessFailedCount = 0;
        return duration;
    }
}

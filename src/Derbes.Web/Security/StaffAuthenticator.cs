using System.Globalization;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OtpNet;

namespace Derbes.Web.Security;

/// <summary>
/// Checks a staff member's TOTP code (RFC 6238: 30-second steps, one step of clock drift either way) on
/// the app's clock, and refuses a code whose step was already used, so a code seen over a shoulder or
/// in a proxy log cannot be replayed within its window. The key is the one Identity keeps for the
/// authenticator; the last used step sits beside it.
/// </summary>
public sealed class StaffAuthenticator(DerbesDb db, TimeProvider clock)
{
    public const string Provider = "[AspNetUserStore]";
    public const string KeyName = "AuthenticatorKey";
    private const string LastStepName = "AuthenticatorLastStep";

    /// <summary>The record of the step used at enrolment, so that code cannot sign in again.</summary>
    public static IdentityUserToken<Guid> UsedStep(Guid accountId, long step) =>
        new() { UserId = accountId, LoginProvider = Provider, Name = LastStepName, Value = step.ToString(CultureInfo.InvariantCulture) };

    /// <summary>Verifies the code and, when it is good, records its step (saved with the caller's SaveChanges).</summary>
    public async Task<bool> VerifyAsync(Account account, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var tokens = await db.UserTokens
            .Where(t => t.UserId == account.Id && t.LoginProvider == Provider && (t.Name == KeyName || t.Name == LastStepName))
            .ToListAsync(cancellationToken);
        var key = tokens.SingleOrDefault(t => t.Name == KeyName)?.Value;
        if (string.IsNullOrEmpty(key) || code.Length != 6)
        {
            return false;
        }
        if (!new Totp(Base32Encoding.ToBytes(key)).VerifyTotp(clock.GetUtcNow().UtcDateTime, code, out var step, VerificationWindow.RfcSpecifiedNetworkDelay))
        {
            return false;
        }
        var last = tokens.SingleOrDefault(t => t.Name == LastStepName);
        if (last is not null && long.TryParse(last.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var lastStep) && step <= lastStep)
        {
            return false;
        }
        var value = step.ToString(CultureInfo.InvariantCulture);
        if (last is null)
        {
            db.UserTokens.Add(new IdentityUserToken<Guid> { UserId = account.Id, LoginProvider = Provider, Name = LastStepName, Value = value });
        }
        else
        {
            last.Value = value;
        }
        return true;
    }
}

using System.Globalization;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OtpNet;

namespace Derbes.Web.Security;

/// <summary>
/// Checks a staff member's (or a customer's, who may turn two-step sign-in on in the cabinet) TOTP code (RFC 6238: 30-second steps, one step of clock drift either way) on
/// the app's clock, and refuses a code whose step was already used, so a code seen over a shoulder or
/// in a proxy log cannot be replayed within its window. The key is the one Identity keeps for the
/// authenticator; the last used step sits beside it.
/// </summary>
public sealed class StaffAuthenticator(DerbesDb db, PersonalDataVault vault, TimeProvider clock)
{
    private const string SealedPrefix = "sealed:";
    private const string KeyField = "totp-key";
    public const string Provider = "[AspNetUserStore]";
    public const string KeyName = "AuthenticatorKey";
    private const string LastStepName = "AuthenticatorLastStep";

    /// <summary>A new authenticator key (160 bits, Base32), shown once at enrolment.</summary>
    public static string NewKey() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    /// <summary>The otpauth:// QR code for an authenticator app, as an inline SVG data URI (no request leaves the page).</summary>
    public static string QrDataUri(string key, string label)
    {
        var uri = new OtpUri(OtpType.Totp, key, label, "SMALL Derbes").ToString();
        using var generator = new QRCoder.QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCoder.QRCodeGenerator.ECCLevel.M);
        var svg = new QRCoder.SvgQRCode(data).GetGraphic(4);
        return "data:image/svg+xml;base64," + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(svg));
    }

    /// <summary>Checks the first code of a key being enrolled; <paramref name="step"/> is then recorded as used.</summary>
    public static bool VerifyEnrolment(string key, string? typed, DateTimeOffset now, out long step)
    {
        var code = new string((typed ?? "").Where(char.IsAsciiDigit).ToArray());
        step = 0;
        return code.Length == 6 && new Totp(Base32Encoding.ToBytes(key)).VerifyTotp(now.UtcDateTime, code, out step, VerificationWindow.RfcSpecifiedNetworkDelay);
    }

    /// <summary>
    /// The key, sealed with the member of staff's own data key (a copy of the database alone does not let anyone
    /// compute their codes), and its used step, as Identity token rows added with the caller's SaveChanges.
    /// </summary>
    public static IEnumerable<IdentityUserToken<Guid>> Enrol(PersonalDataVault vault, Guid accountId, string key, long step)
    {
        ArgumentNullException.ThrowIfNull(vault);
        return
        [
            new IdentityUserToken<Guid> { UserId = accountId, LoginProvider = Provider, Name = KeyName, Value = SealedPrefix + Convert.ToBase64String(vault.Seal(accountId, KeyField, key)) },
            UsedStep(accountId, step),
        ];
    }

    /// <summary>The record of the step used at enrolment, so that code cannot sign in again.</summary>
    public static IdentityUserToken<Guid> UsedStep(Guid accountId, long step) =>
        new() { UserId = accountId, LoginProvider = Provider, Name = LastStepName, Value = step.ToString(CultureInfo.InvariantCulture) };

    /// <summary>Forgets the account's authenticator key and its used step (two-step sign-in turned off), with the caller's SaveChanges.</summary>
    public async Task RemoveAsync(Guid accountId, CancellationToken cancellationToken) =>
        db.UserTokens.RemoveRange(await db.UserTokens
            .Where(t => t.UserId == accountId && t.LoginProvider == Provider && (t.Name == KeyName || t.Name == LastStepName))
            .ToListAsync(cancellationToken));

    /// <summary>Verifies the code and, when it is good, records its step (saved with the caller's SaveChanges).</summary>
    public async Task<bool> VerifyAsync(Account account, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var tokens = await db.UserTokens
            .Where(t => t.UserId == account.Id && t.LoginProvider == Provider && (t.Name == KeyName || t.Name == LastStepName))
            .ToListAsync(cancellationToken);
        var stored = tokens.SingleOrDefault(t => t.Name == KeyName)?.Value;
        // Keys enrolled before sealing was introduced are read as they were stored.
        var key = stored is not null && stored.StartsWith(SealedPrefix, StringComparison.Ordinal)
            ? vault.OpenString(account.Id, KeyField, Convert.FromBase64String(stored[SealedPrefix.Length..]))
            : stored;
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

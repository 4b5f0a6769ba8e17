using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

/// <summary>
/// What a session cookie carries beyond Identity's claims, and the server-side checks made on it at every
/// request: the security stamp (Identity), and an absolute lifetime for sessions that are not remembered.
/// </summary>
public static class SessionClaims
{
    public const string AuthTime = "derbes:auth_time";
    /// <summary>"customer" or "staff": see <see cref="CustomerAccess"/>.</summary>
    public const string Kind = "derbes:kind";
    public const string Language = "derbes:lang";
    public const string Remembered = "derbes:remembered";
    public const string SessionId = "derbes:sid";

    /// <summary>How often a session's "last seen" time is written; reads are checked on every request regardless.</summary>
    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromMinutes(1);

    public static Claim[] For(Account account, UserSession session, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(session);
        return
        [
            new Claim(AuthTime, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new Claim(Language, account.PreferredLanguage),
            new Claim(Remembered, session.Remembered ? "1" : "0"),
            new Claim(SessionId, session.Id.ToString("N")),
        ];
    }

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Identity's check: the stamp in the cookie must still be the account's stamp.
        await SecurityStampValidator.ValidatePrincipalAsync(context);
        if (context.Principal is null)
        {
            return;
        }
        var services = context.HttpContext.RequestServices;
        var clock = services.GetRequiredService<TimeProvider>();
        var accounts = services.GetRequiredService<IOptions<AccountOptions>>().Value;
        var remembered = context.Principal.FindFirstValue(Remembered) == "1";
        var authTime = long.TryParse(context.Principal.FindFirstValue(AuthTime), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.MinValue;
        var limit = remembered ? accounts.RememberMeLifetime : accounts.AbsoluteSessionLifetime;
        var now = clock.GetUtcNow();
        var db = services.GetRequiredService<DerbesDb>();
        var session = Guid.TryParseExact(context.Principal.FindFirstValue(SessionId), "N", out var sessionId)
            ? await db.Sessions.SingleOrDefaultAsync(s => s.Id == sessionId, context.HttpContext.RequestAborted)
            : null;
        if (now - authTime > limit || session is null || !session.IsOpen)
        {
            if (session is { IsOpen: true })
            {
                session.End(now);
                await db.SaveChangesAsync(context.HttpContext.RequestAborted);
            }
            context.RejectPrincipal();
            await services.GetRequiredService<SignInManager<Account>>().SignOutAsync();
            return;
        }
        if (now - session.LastSeenAt >= LastSeenResolution)
        {
            session.LastSeenAt = now;
            await db.SaveChangesAsync(context.HttpContext.RequestAborted);
        }
    }
}

/// <summary>
/// The cabinet is a customer's own record: their profile, consents, documents, requests and data. A member of staff
/// has none of these (a staff account is not a customer's), so those pages refuse them with the logged 403 the back
/// office gives customers, instead of pages built for data that is not there. The account's own security (change
/// the password, see and end sessions, recent sign-ins) is every account's, staff included; its two-step page
/// refuses staff itself, because their authenticator is not theirs to turn off.
/// </summary>
public static class CustomerAccess
{
    public const string Policy = "Customer";
    public const string CustomerKind = "customer";
    public const string StaffKind = "staff";

    /// <summary>Whether <paramref name="user"/> is a customer's session: what the policy asks, for pages that show less to staff.</summary>
    public static bool IsCustomer(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.HasClaim(SessionClaims.Kind, CustomerKind);
    }

    /// <summary>The cabinet's pages any signed-in account may open (Razor view-engine paths).</summary>
    public static readonly IReadOnlySet<string> OpenToStaff = new HashSet<string>(StringComparer.Ordinal)
    {
        "/Cabinet/Security",
        "/Cabinet/SecurityPassword",
        "/Cabinet/SecurityTwoFactor",
    };
}

public static class StaffRoles
{
    public const string Staff = "Staff";
    public const string Support = "Support";
    public const string PrivacyOfficer = "PrivacyOfficer";
    public const string Marketing = "Marketing";
    public const string Administrator = "Administrator";

    public static readonly string[] All = [Support, PrivacyOfficer, Marketing, Administrator];

    /// <summary>For <c>[Authorize(Roles = …)]</c> on pages every member of staff may open.</summary>
    public const string AnyStaff = Support + "," + PrivacyOfficer + "," + Marketing + "," + Administrator;
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Derbes.Web.Security;

/// <summary>A short-lived, encrypted and signed cookie that carries one step of a flow (an account id), never trusted unprotected.</summary>
public abstract class ProtectedCookie(IHttpContextAccessor http, IDataProtectionProvider protection, string name, string purpose, TimeSpan lifetime)
{
    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector(purpose).ToTimeLimitedDataProtector();

    protected void Write(string value)
    {
        var context = http.HttpContext!;
        context.Response.Cookies.Append(CookieRules.Name(name), _protector.Protect(value, DateTimeOffset.UtcNow + lifetime), new CookieOptions
        {
            HttpOnly = true,
            Secure = CookieRules.Secure(context),
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = lifetime,
            IsEssential = true,
        });
    }

    protected string? Read()
    {
        var value = http.HttpContext?.Request.Cookies[CookieRules.Name(name)];
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        try
        {
            return _protector.Unprotect(value);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public void End()
    {
        if (http.HttpContext is { } context)
        {
            context.Response.Cookies.Delete(CookieRules.Name(name), new CookieOptions { Secure = CookieRules.Secure(context), Path = "/" });
        }
    }
}

/// <summary>The account that gave the right password and still owes its second factor (staff TOTP).</summary>
public sealed class PendingSignIn(IHttpContextAccessor http, IDataProtectionProvider protection)
    : ProtectedCookie(http, protection, "derbes-signin", "Derbes.PendingSignIn", TimeSpan.FromMinutes(5))
{
    public void Start(Guid accountId, bool remember, string? returnUrl) =>
        Write($"{accountId:N}|{(remember ? 1 : 0)}|{returnUrl}");

    public (Guid AccountId, bool Remember, string? ReturnUrl)? Current()
    {
        var parts = Read()?.Split('|', 3);
        return parts is { Length: 3 } && Guid.TryParseExact(parts[0], "N", out var id) ? (id, parts[1] == "1", parts[2]) : null;
    }
}

/// <summary>
/// A closing account whose owner just gave the right password: for five minutes they may undo the closure (and
/// sign in) at /account/reopen. It never signs anyone in by itself.
/// </summary>
public sealed class PendingReopen(IHttpContextAccessor http, IDataProtectionProvider protection)
    : ProtectedCookie(http, protection, "derbes-reopen", "Derbes.PendingReopen", TimeSpan.FromMinutes(5))
{
    public void Start(Guid accountId, bool remember) => Write($"{accountId:N}|{(remember ? 1 : 0)}");

    public (Guid AccountId, bool Remember)? Current()
    {
        var parts = Read()?.Split('|', 2);
        return parts is { Length: 2 } && Guid.TryParseExact(parts[0], "N", out var id) ? (id, parts[1] == "1") : null;
    }
}

/// <summary>The account whose password reset by SMS code is in progress (or a random id when none was found: same answer).</summary>
public sealed class PendingReset(IHttpContextAccessor http, IDataProtectionProvider protection)
    : ProtectedCookie(http, protection, "derbes-reset", "Derbes.PendingReset", TimeSpan.FromMinutes(15))
{
    public void Start(Guid accountId) => Write(accountId.ToString("N"));

    public Guid? Current() => Guid.TryParseExact(Read(), "N", out var id) ? id : null;
}

/// <summary>
/// Remembers, in a protected cookie, which registration the browser just made, so the phone code can be
/// entered next. A duplicate registration gets a cookie for an account that does not exist: same answer.
/// </summary>
public sealed class PendingRegistration(IHttpContextAccessor http, IDataProtectionProvider protection)
    : ProtectedCookie(http, protection, "derbes-pending", "Derbes.PendingRegistration", TimeSpan.FromHours(1))
{
    public void Start(Guid accountId) => Write(accountId.ToString("N"));

    public Guid? Current() => Guid.TryParseExact(Read(), "N", out var id) ? id : null;
}

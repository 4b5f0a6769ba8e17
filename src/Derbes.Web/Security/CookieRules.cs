namespace Derbes.Web.Security;

/// <summary>
/// Cookie names and the Secure flag in one place. Everywhere but Development on plain http, cookies are
/// Secure and carry the <c>__Host-</c> prefix (no Domain, Path=/, only over https: SECURITY-CHECKS 12).
/// Browsers refuse a <c>__Host-</c> cookie without Secure, so Development on http drops the prefix.
/// </summary>
public static class CookieRules
{
    /// <summary>Set once at start-up from the environment.</summary>
    public static bool PlainHttpDevelopment { get; set; }

    public static string Name(string name) => PlainHttpDevelopment ? name : "__Host-" + name;

    public static CookieSecurePolicy SecurePolicy => PlainHttpDevelopment ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;

    public static bool Secure(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !PlainHttpDevelopment || context.Request.IsHttps;
    }
}

namespace Derbes.Web.Security;

/// <summary>Headers on every response (SECURITY-CHECKS 34): no inline script, no framing, no sniffing.</summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    /// <summary>
    /// Cache-Control of a page that shows personal data or a secret: kept by no cache. "no-store" is what matters;
    /// "no-cache" is there too because antiforgery puts exactly "no-cache, no-store" on every page with a form, and it
    /// logs a warning each time it has to replace a value without "no-cache".
    /// </summary>
    public const string PrivatePage = "no-cache, no-store";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                // A page may only tighten the policy (a downloaded document is sandboxed), never loosen it.
                if (!headers.ContainsKey("Content-Security-Policy"))
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                }
                headers.XContentTypeOptions = "nosniff";
                // Only a page that is framed by the site itself on purpose (a campaign's preview) sets its own, SAMEORIGIN.
                if (!headers.ContainsKey("X-Frame-Options"))
                {
                    headers.XFrameOptions = "DENY";
                }
                if (!headers.ContainsKey("Referrer-Policy"))
                {
                    headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                }
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                headers.Remove("Server");
                headers.Remove("X-Powered-By");
                return Task.CompletedTask;
            });
            await next();
        });
}

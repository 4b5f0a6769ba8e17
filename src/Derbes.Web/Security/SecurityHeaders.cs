namespace Derbes.Web.Security;

/// <summary>
/// Headers on every response (SECURITY-CHECKS 34): no inline script, no framing, no sniffing; and no cache keeps
/// anything the site composes.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    /// <summary>
    /// Cache-Control of every answer the site composes: pages, redirects, error pages, downloads and the API. Most show
    /// personal data or carry a secret (a token in the address, recovery codes), and a page that shows none today may
    /// tomorrow, so the site is private by default rather than page by page. "no-store" is what matters; "no-cache" is
    /// there too because antiforgery puts exactly "no-cache, no-store" on every page with a form, and logs a warning
    /// each time it has to replace a value without "no-cache". Static files (styles, scripts, fonts) stay cacheable.
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

    /// <summary>
    /// Puts <see cref="PrivatePage"/> on every answer that did not choose its own (a download says "no-store"). Placed
    /// right after the static files, so whatever reaches it is composed by the site: pages, redirects, error pages, the
    /// API and its 404s. <c>CachingTests</c> asks every route, so a page that chose a weaker value would be seen there.
    /// </summary>
    public static IApplicationBuilder UsePrivateByDefault(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                if (!context.Response.Headers.ContainsKey("Cache-Control"))
                {
                    context.Response.Headers.CacheControl = PrivatePage;
                }
                return Task.CompletedTask;
            });
            await next();
        });
}

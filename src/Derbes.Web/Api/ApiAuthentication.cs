using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Api;

/// <summary>
/// Which credentials count where: under /api only a bearer token (a cookie is never read there, so no page of
/// another site can make a signed-in browser call the API: no CSRF exposure), everywhere else only the session
/// cookie (a token is never read by a page). The default scheme is a selector that forwards by path.
/// </summary>
public static class ApiAuthentication
{
    /// <summary>The default scheme: forwards to <see cref="BearerScheme"/> under /api, to the Identity cookie elsewhere.</summary>
    public const string ByPath = "Derbes";
    public const string BearerScheme = "Bearer";
    /// <summary>The policy of every endpoint that acts for a signed-in customer.</summary>
    public const string CustomerPolicy = "ApiCustomer";

    public static bool IsApi(PathString path) => path.StartsWithSegments(ApiSetup.Prefix, StringComparison.OrdinalIgnoreCase);

    public static AuthenticationBuilder AddDerbesBearer(this AuthenticationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPolicyScheme(ByPath, ByPath, o =>
            o.ForwardDefaultSelector = context => IsApi(context.Request.Path) ? BearerScheme : IdentityConstants.ApplicationScheme);
        builder.AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerScheme, null);
        return builder;
    }
}

/// <summary>
/// Reads <c>Authorization: Bearer …</c> and asks <see cref="AppTokens"/> whom it stands for. A refusal is a 401
/// with <c>WWW-Authenticate: Bearer</c> (RFC 6750: <c>error="invalid_token"</c> when a token was sent) and a
/// problem+json body.
/// </summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AppTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private bool _tokenRefused;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var principal = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (principal is null)
        {
            _tokenRefused = true;
            // No detail: whether the token is unknown, expired or of an ended session is nobody's business but the server's.
            return AuthenticateResult.Fail("The bearer token is not valid.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = _tokenRefused ? "Bearer error=\"invalid_token\"" : "Bearer";
        await ApiProblems.Unauthenticated(Context, _tokenRefused).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await ApiProblems.ForStatus(Context, StatusCodes.Status403Forbidden).ExecuteAsync(Context);
    }
}

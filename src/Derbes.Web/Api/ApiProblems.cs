using System.Diagnostics;
using Derbes.Web.Localization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Api;

/// <summary>
/// Every error of the API as <c>application/problem+json</c> (RFC 9457): a stable <c>type</c> the app can switch
/// on, an English <c>title</c> for developers, the <c>status</c>, a <c>detail</c> in the request's language that
/// the app may show as it is, and the <c>correlationId</c> the error page also shows. Never a stack trace, SQL or path
/// (SECURITY-CHECKS 35). The types are URNs: names, not pages to fetch.
/// </summary>
public static class ApiProblems
{
    public const string Prefix = "urn:derbes:problem:";

    public const string Validation = Prefix + "validation";
    public const string BadRequest = Prefix + "bad-request";
    public const string AuthenticationRequired = Prefix + "authentication-required";
    public const string InvalidToken = Prefix + "invalid-token";
    public const string InvalidCredentials = Prefix + "invalid-credentials";
    public const string TwoFactorRequired = Prefix + "two-factor-required";
    public const string InvalidTwoFactorCode = Prefix + "invalid-two-factor-code";
    public const string AccountBlocked = Prefix + "account-blocked";
    public const string AccountClosing = Prefix + "account-closing";
    public const string EmailUnconfirmed = Prefix + "email-unconfirmed";
    public const string InvalidRefreshToken = Prefix + "invalid-refresh-token";
    public const string PolicyUpdateDue = Prefix + "policy-update-due";
    public const string Forbidden = Prefix + "forbidden";
    public const string NotFound = Prefix + "not-found";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";
    public const string TooLarge = Prefix + "too-large";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string TooManyRequests = Prefix + "too-many-requests";
    public const string ServerError = Prefix + "server-error";

    // The cabinet's parts (profile, documents, security, requests, closing).
    /// <summary>The current password given before a sensitive change is wrong (it counts towards the lockout).</summary>
    public const string WrongPassword = Prefix + "wrong-password";
    /// <summary>Too many wrong passwords: the account is locked for a while and nothing is checked.</summary>
    public const string RequestNotAwaiting = Prefix + "request-not-awaiting-reply";
    public const string AccountLocked = Prefix + "account-locked";
    /// <summary>The new email address or phone number is already the customer's own.</summary>
    public const string SameAsCurrent = Prefix + "same-as-current";
    /// <summary>The code sent by SMS is not right.</summary>
    public const string InvalidCode = Prefix + "invalid-code";
    public const string CodeExpired = Prefix + "code-expired";
    /// <summary>Too many wrong codes: the change is dropped and starts again with the password.</summary>
    public const string CodeLocked = Prefix + "code-locked";
    /// <summary>The number was proven, but another account holds it by now: nothing changed.</summary>
    public const string PhoneTaken = Prefix + "phone-taken";
    /// <summary>The document was verified: the customer neither replaces nor deletes it (a destruction request does).</summary>
    public const string DocumentVerified = Prefix + "document-verified";
    /// <summary>A file failed the inspection (type, size, malware, active content); nothing was stored.</summary>
    public const string DocumentRejected = Prefix + "document-rejected";
    /// <summary>As many unverified documents as one registration may carry are already waiting.</summary>
    public const string TooManyDocuments = Prefix + "too-many-documents";

    /// <summary>A problem with its localised detail (a key of SharedResource).</summary>
    public static ProblemHttpResult Problem(HttpContext context, int status, string type, string title, string detailKey, IDictionary<string, object?>? extensions = null) =>
        Described(context, status, type, title, Text(context, detailKey), extensions);

    /// <summary>A problem whose detail is already in the request's language (made with <see cref="Text"/> and its arguments).</summary>
    public static ProblemHttpResult Described(HttpContext context, int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var all = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>())
        {
            ["correlationId"] = CorrelationId(context),
        };
        if (status == StatusCodes.Status401Unauthorized && !context.Response.Headers.ContainsKey("WWW-Authenticate"))
        {
            // RFC 9110: every 401 names the scheme that would do.
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        return TypedResults.Problem(detail, statusCode: status, title: title, type: type, extensions: all);
    }

    /// <summary>A 400 naming each field that is wrong (camelCase, as in the request body) with what is wrong with it.</summary>
    public static ValidationProblem Invalid(HttpContext context, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(context);
        return TypedResults.ValidationProblem(
            errors,
            detail: Text(context, "Error.BadRequest.Message"),
            title: "One or more fields are not valid.",
            type: Validation,
            extensions: new Dictionary<string, object?> { ["correlationId"] = CorrelationId(context) });
    }

    /// <summary>The field error for a missing value, in the request's language.</summary>
    public static string Required(HttpContext context) => Text(context, "Validation.Required");

    /// <summary>The field error for a value over its limit, in the request's language.</summary>
    public static string TooLong(HttpContext context) => Text(context, "Validation.TooLong");

    public static ProblemHttpResult NotFoundProblem(HttpContext context) => ForStatus(context, StatusCodes.Status404NotFound);

    /// <summary>The 401 of a call without a valid bearer token.</summary>
    public static ProblemHttpResult Unauthenticated(HttpContext context, bool tokenRefused) => tokenRefused
        ? Problem(context, StatusCodes.Status401Unauthorized, InvalidToken, "The access token is not valid.", "Api.SignInAgain")
        : Problem(context, StatusCodes.Status401Unauthorized, AuthenticationRequired, "A bearer access token is required.", "Api.SignInAgain");

    /// <summary>The problem for a status that came without a body (no route, a refused method, the rate limiter).</summary>
    public static ProblemHttpResult ForStatus(HttpContext context, int status) => status switch
    {
        400 => Problem(context, status, BadRequest, "The request is not valid.", "Error.BadRequest.Message"),
        401 => Unauthenticated(context, tokenRefused: false),
        403 => Problem(context, status, Forbidden, "Not allowed.", "Error.Forbidden.Message"),
        404 => Problem(context, status, NotFound, "Not found.", "Error.NotFound.Message"),
        405 => Problem(context, status, MethodNotAllowed, "Method not allowed.", "Error.BadRequest.Message"),
        413 => Problem(context, status, TooLarge, "The request is too large.", "Error.BadRequest.Message"),
        415 => Problem(context, status, UnsupportedMediaType, "Send JSON (Content-Type: application/json).", "Error.BadRequest.Message"),
        429 => Problem(context, status, TooManyRequests, "Too many requests.", "Error.TooMany.Message"),
        >= 400 and < 500 => Problem(context, status, BadRequest, "The request is not valid.", "Error.BadRequest.Message"),
        _ => Problem(context, status, ServerError, "An error occurred.", "Error.Message"),
    };

    /// <summary>
    /// Under /api, a response that ends in an error without a body (no such route, a method not allowed, the rate
    /// limiter's 429, a body that is not JSON) gets its problem+json here, instead of the HTML error page the
    /// status-code pages would re-execute.
    /// </summary>
    public static IApplicationBuilder UseApiProblems(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (!ApiAuthentication.IsApi(context.Request.Path))
            {
                await next();
                return;
            }
            if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }
            await next();
            var response = context.Response;
            if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
            {
                await ForStatus(context, response.StatusCode).ExecuteAsync(context);
            }
        });

    private static string CorrelationId(HttpContext context) => Activity.Current?.Id ?? context.TraceIdentifier;

    /// <summary>
    /// The text in the request's language: read from the localisation feature, because a problem written on the way
    /// out (after the localisation middleware has returned) no longer runs in the request's culture.
    /// </summary>
    public static string Text(HttpContext context, string key, params object[] arguments)
    {
        ArgumentNullException.ThrowIfNull(context);
        var localizer = context.RequestServices.GetRequiredService<IStringLocalizer<SharedResource>>();
        var language = context.Features.Get<IRequestCultureFeature>()?.RequestCulture.UICulture.TwoLetterISOLanguageName ?? Languages.Current;
        return Languages.In(language, () => localizer[key, arguments].Value);
    }
}

/// <summary>An exception under /api becomes a 500 problem with the correlation id, never the HTML error page or a trace.</summary>
public sealed class ApiExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (!ApiAuthentication.IsApi(httpContext.Request.Path))
        {
            return false;
        }
        // A body that could not be read as JSON is the caller's mistake, not the server's.
        var status = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
        httpContext.Response.StatusCode = status;
        await ApiProblems.ForStatus(httpContext, status).ExecuteAsync(httpContext);
        return true;
    }
}

using System.ComponentModel;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Api;

public sealed record TokenRequest(
    [property: Description("Email, confirmed mobile phone (any common form) or customer number.")] string? Login,
    [property: Description("The account's password.")] string? Password,
    [property: Description("When two-step sign-in is on: the six-digit code of the authenticator app, or one of the recovery codes (k7m2p-x9q4r).")] string? Code);

public sealed record RefreshRequest([property: Description("The refresh token of the last pair; it is spent by this call.")] string? RefreshToken);

public sealed record RevokeRequest([property: Description("Optional: the refresh token, to sign out when the access token has already expired.")] string? RefreshToken);

public sealed record TokenResponse(
    [property: Description("Send as `Authorization: Bearer …` with every call.")] string AccessToken,
    string TokenType,
    [property: Description("Seconds until the access token expires.")] int ExpiresIn,
    [property: Description("Exchange at /api/v1/auth/refresh for a new pair; usable once.")] string RefreshToken,
    [property: Description("Seconds until the refresh token expires if unused.")] int RefreshExpiresIn);

/// <summary>
/// Sign-in, refresh and sign-out for the mobile app. Sign-in is the web sign-in's password step
/// (<see cref="PasswordSignIn"/>) with the same rules, lockout count and per-IP limit; each sign-in opens a session
/// listed with the browser sessions.
/// </summary>
public static class AuthEndpoints
{
    public static void MapAuth(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var auth = api.MapGroup("/auth").WithTags("Sign-in").AllowAnonymous();

        auth.MapPost("/token", SignInAsync)
            .RequireRateLimiting(RateLimits.Accounts)
            .WithName("SignIn")
            .WithSummary("Sign in with login and password (and the authenticator code when two-step sign-in is on).")
            .WithDescription("Customers only. Wrong password, unknown and locked account give the same 401 invalid-credentials; five failures in a row, on the website or here, lock the account. two-factor-required asks for `code`: the authenticator's six digits, or one of the recovery codes (each works once; the customer is told by email).")
            .Produces<TokenResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/refresh", RefreshAsync)
            .WithName("Refresh")
            .WithSummary("Exchange the refresh token for a new pair.")
            .WithDescription("The refresh token is rotated: the old one is spent. Presenting a spent one again ends the whole session (all its tokens).")
            .Produces<TokenResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        auth.MapPost("/revoke", RevokeAsync)
            .WithName("SignOut")
            .WithSummary("Sign out: end this session and every token of it.")
            .WithDescription("Identifies the session by the bearer access token or, when that has expired, by the refresh token in the body. Always 204.")
            .Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> SignInAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] TokenRequest? request,
        HttpContext context,
        PasswordSignIn passwords,
        StaffAuthenticator authenticator,
        RecoveryCodes recovery,
        AccountDirectory directory,
        AccountMessages messages,
        AppTokens tokens,
        AuditTrail audit,
        DerbesDb db,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request?.Login))
        {
            errors["login"] = [ApiProblems.Required(context)];
        }
        else if (request.Login.Length > 254)
        {
            errors["login"] = [ApiProblems.TooLong(context)];
        }
        if (string.IsNullOrEmpty(request?.Password))
        {
            errors["password"] = [ApiProblems.Required(context)];
        }
        if (request?.Code is { Length: > 32 })
        {
            errors["code"] = [ApiProblems.TooLong(context)];
        }
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }

        var check = await passwords.CheckAsync(request!.Login!, request.Password!, SignInChannel.Api, cancellationToken);
        switch (check.Outcome)
        {
            case PasswordCheckOutcome.Failed:
                return Refused(context);
            case PasswordCheckOutcome.Blocked:
                return ApiProblems.Problem(context, StatusCodes.Status403Forbidden, ApiProblems.AccountBlocked, "The account is blocked.", "Login.Blocked");
            case PasswordCheckOutcome.Closing:
                return ApiProblems.Problem(context, StatusCodes.Status403Forbidden, ApiProblems.AccountClosing, "The account is being closed.", "Login.Closing");
            case PasswordCheckOutcome.Unconfirmed:
                return ApiProblems.Problem(context, StatusCodes.Status403Forbidden, ApiProblems.EmailUnconfirmed, "The email address is not confirmed yet.", "Login.Unconfirmed");
        }
        var account = check.Account!;
        if (account.Kind != AccountKind.Customer)
        {
            // Staff work in the back office with a second factor, never through the app: the same answer as a
            // wrong password, so the app cannot be used to learn that a staff password is right.
            audit.Record("signin.failed", account.Id, PasswordSignIn.Outcome("staff", SignInChannel.Api));
            await db.SaveChangesAsync(cancellationToken);
            return Refused(context);
        }
        if (account.TwoFactorEnabled)
        {
            if (string.IsNullOrWhiteSpace(request.Code))
            {
                audit.Record("signin.password-ok", account.Id, PasswordSignIn.Outcome("awaiting-2fa", SignInChannel.Api));
                await db.SaveChangesAsync(cancellationToken);
                return ApiProblems.Problem(context, StatusCodes.Status401Unauthorized, ApiProblems.TwoFactorRequired, "The authenticator code is required.", "TwoFactor.Lead");
            }
            // A recovery code is spent inside the transaction of the sign-in, so a failed save gives it back (opened
            // under the chain lock, as the sign-in's audit entry is saved in it: see DerbesDb.WithChainLockAsync).
            return await db.WithChainLockAsync(async ct =>
            {
                var (passed, recoveryLeft) = await SecondFactorAsync(authenticator, recovery, account, request.Code, ct);
                if (!passed)
                {
                    passwords.CountFailure(account, recoveryLeft is null && LooksLikeRecoveryCode(request.Code) ? "wrong-recovery-code" : "wrong-2fa", SignInChannel.Api);
                    await db.SaveChangesAsync(ct);
                    return ApiProblems.Problem(context, StatusCodes.Status401Unauthorized, ApiProblems.InvalidTwoFactorCode, "The authenticator code is not right.", "TwoFactor.Invalid");
                }
                account.AccessFailedCount = 0;
                var outcome = "2fa";
                if (recoveryLeft is { } left)
                {
                    outcome = "recovery-code";
                    audit.Record("2fa.recovery-code-used", account.Id, PasswordSignIn.Outcome("left:" + left.ToString(System.Globalization.CultureInfo.InvariantCulture), SignInChannel.Api), actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
                    messages.RecoveryCodeUsed(account, directory.Open(account), left);
                }
                return await SignedInAsync(outcome, ct);
            }, cancellationToken);
        }
        return await SignedInAsync("ok", cancellationToken);

        async Task<IResult> SignedInAsync(string outcome, CancellationToken cancellationToken)
        {
            account.LockoutCount = 0;
            audit.Record("signin.succeeded", account.Id, PasswordSignIn.Outcome(outcome, SignInChannel.Api), actor: account.Id.ToString(), role: AuditTrail.CustomerRole);
            await tokens.PruneAsync(account.Id, cancellationToken);
            // One SaveChanges: the account, the audit entry, the new session and its tokens together.
            var issued = tokens.OpenSession(account, context);
            await db.SaveChangesAsync(cancellationToken);
            return Issued(context, tokens, issued);
        }
    }

    /// <summary>
    /// The second factor: a code from the authenticator app, checked (and its step spent) as for staff; or, when what
    /// was typed is not six digits, one of the customer's recovery codes, spent here (the caller's transaction makes
    /// the spending and the sign-in one). Returns whether it passed and, for a recovery code, how many are left.
    /// </summary>
    private static async Task<(bool Passed, int? RecoveryLeft)> SecondFactorAsync(StaffAuthenticator authenticator, RecoveryCodes recovery, Derbes.Web.Customers.Account account, string typed, CancellationToken cancellationToken)
    {
        if (LooksLikeRecoveryCode(typed))
        {
            var left = await recovery.RedeemAsync(account.Id, typed, cancellationToken);
            return (left is not null, left);
        }
        var digits = new string(typed.Where(char.IsAsciiDigit).ToArray());
        return (digits.Length == 6 && await authenticator.VerifyAsync(account, digits, cancellationToken), null);
    }

    /// <summary>Authenticator codes are six digits; recovery codes are ten letters and digits ("k7m2p-x9q4r").</summary>
    private static bool LooksLikeRecoveryCode(string typed) => RecoveryCodes.Normalise(typed).Length == 10;

    private static async Task<IResult> RefreshAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] RefreshRequest? request,
        HttpContext context,
        AppTokens tokens,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request?.RefreshToken))
        {
            return ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["refreshToken"] = [ApiProblems.Required(context)] });
        }
        var (outcome, issued) = await tokens.RefreshAsync(request.RefreshToken.Trim(), cancellationToken);
        return outcome == RefreshOutcome.Refreshed
            ? Issued(context, tokens, issued!)
            : ApiProblems.Problem(context, StatusCodes.Status401Unauthorized, ApiProblems.InvalidRefreshToken, "The refresh token is not valid; sign in again.", "Api.SignInAgain");
    }

    private static async Task<IResult> RevokeAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] RevokeRequest? request,
        HttpContext context,
        AppTokens tokens,
        AuditTrail audit,
        DerbesDb db,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        Customers.UserSession? session = null;
        if (context.User.Identity?.IsAuthenticated == true
            && Guid.TryParseExact(context.User.FindFirstValue(SessionClaims.SessionId), "N", out var sessionId))
        {
            session = await db.Sessions.SingleOrDefaultAsync(s => s.Id == sessionId && s.EndedAt == null, cancellationToken);
        }
        else if (!string.IsNullOrWhiteSpace(request?.RefreshToken))
        {
            session = await tokens.OpenSessionOfAsync(request.RefreshToken.Trim(), cancellationToken);
        }
        if (session is not null)
        {
            session.End(clock.GetUtcNow());
            audit.Record("signout", session.AccountId, outcome: "api", actor: session.AccountId.ToString(), role: AuditTrail.CustomerRole);
            await db.SaveChangesAsync(cancellationToken);
        }
        // As RFC 7009 asks: the same answer whether or not there was anything to end.
        return TypedResults.NoContent();
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refused(HttpContext context) =>
        ApiProblems.Problem(context, StatusCodes.Status401Unauthorized, ApiProblems.InvalidCredentials, "The login or password is not right, or the account is locked.", "Login.Failed");

    internal static Microsoft.AspNetCore.Http.HttpResults.Ok<TokenResponse> Issued(HttpContext context, AppTokens tokens, IssuedTokens issued)
    {
        // Tokens are never cached by anything in between (RFC 6749 5.1).
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        return TypedResults.Ok(new TokenResponse(issued.AccessToken, "Bearer", tokens.SecondsUntil(issued.AccessExpiresAt), issued.RefreshToken, tokens.SecondsUntil(issued.RefreshExpiresAt)));
    }
}

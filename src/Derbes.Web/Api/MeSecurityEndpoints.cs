using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Api;

public sealed record PasswordChangeRequest(
    [property: Description("The current password (a wrong one counts towards the sign-in lockout).")] string? CurrentPassword,
    [property: Description("The new password: the rules of registration.")] string? NewPassword);

public sealed record PlaceView(
    PlaceKind Kind,
    [property: Description("\"Almaty, Kazakhstan\" in the request's language, when known.")] string? Name,
    [property: Description("The address cut to its network (/24, /48): the full address is not shown.")] string? Network);

public sealed record SignInView(
    DateTimeOffset At,
    [property: Description("signed-in, signed-in-with-code, signed-in-with-recovery-code, wrong-password, wrong-code, wrong-recovery-code, while-locked, locked, refused or wrong-current-password.")] string Event,
    [property: Description("A failed or refused attempt, or a lock.")] bool Failed,
    [property: Description("Through the app; otherwise on the website.")] bool App,
    [property: Description("The approximate place of the address it came from; never made up.")] PlaceView Place);

/// <summary>
/// /api/v1/me/password and /api/v1/me/sign-ins: the security page's password change (through
/// <see cref="CustomerSecurity"/>: every other session and app signed out, this one kept with a new pair of tokens)
/// and its recent sign-ins and failed attempts from the audit trail. Never behind the policy gate.
/// </summary>
public static class MeSecurityEndpoints
{
    public static void MapMeSecurity(this RouteGroupBuilder me)
    {
        ArgumentNullException.ThrowIfNull(me);
        me.MapPost("/password", ChangePasswordAsync)
            .RequireRateLimiting(RateLimits.Accounts)
            .WithName("ChangePassword")
            .Produces<TokenResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Change the password: every other session and app is signed out; this one gets a new pair of tokens.")
            .WithDescription("The tokens of this call stop working: keep the new pair from the answer. wrong-password and account-locked (403) for the current password; a new password against the rules is a validation problem on newPassword. The customer is told by email.");
        me.MapGet("/sign-ins", SignInsAsync)
            .WithName("GetSignIns")
            .Produces<List<SignInView>>()
            .WithSummary("The last 20 sign-ins and failed attempts, on the website and in the app, newest first.");
    }

    private static async Task<IResult> ChangePasswordAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] PasswordChangeRequest? request,
        HttpContext context,
        ClaimsPrincipal user,
        DerbesDb db,
        CustomerSecurity security,
        AppTokens tokens,
        IOptions<AccountOptions> options,
        CancellationToken cancellationToken)
    {
        var errors = MeProfileEndpoints.Required(context, ("currentPassword", request?.CurrentPassword), ("newPassword", request?.NewPassword));
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }
        var account = await MeProfileEndpoints.AccountAsync(db, user, cancellationToken);
        var session = Guid.ParseExact(user.FindFirstValue(SessionClaims.SessionId)!, "N");
        var result = await security.ChangePasswordAsync(account, request!.CurrentPassword, request.NewPassword, session, cancellationToken);
        if (result.Current != PasswordRecheck.Right)
        {
            return MeProfileEndpoints.PasswordRefused(context, result.Current == PasswordRecheck.Locked, "Security.WrongPassword", "Security.Locked");
        }
        if (!result.Changed)
        {
            return ApiProblems.Invalid(context, new Dictionary<string, string[]>
            {
                ["newPassword"] = [ApiProblems.Text(context, "Password." + result.Problem, options.Value.MinPasswordLength, options.Value.MaxPasswordBytes)],
            });
        }
        var issued = await tokens.ReissueAsync(session, account.SecurityStamp!, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return AuthEndpoints.Issued(context, tokens, issued);
    }

    private static async Task<IResult> SignInsAsync(ClaimsPrincipal user, CustomerSecurity security, AddressPlaces places, AuditTrail audit, DerbesDb db, CancellationToken cancellationToken)
    {
        var id = MeEndpoints.CustomerId(user);
        var history = await security.SignInHistoryAsync(id, cancellationToken);
        audit.Record("cabinet.viewed", id, outcome: "sign-ins (api)");
        await db.SaveChangesAsync(cancellationToken);
        var language = Languages.Current;
        return TypedResults.Ok(history.Select(e =>
        {
            var place = places.Find(e.Ip, language);
            return new SignInView(e.At, JsonNamingPolicy.KebabCaseLower.ConvertName(e.Event), e.Failed, e.App, new PlaceView(place.Kind, place.Name, place.Network));
        }).ToList());
    }
}

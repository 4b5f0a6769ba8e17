using System.ComponentModel;
using System.Security.Claims;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Mvc;

namespace Derbes.Web.Api;

public sealed record CloseRequest([property: Description("The account's password, asked again (a wrong one counts towards the sign-in lockout).")] string? Password);

public sealed record ClosingResponse(
    AccountStatus Status,
    [property: Description("The day (Almaty) from which the account's data is destroyed, unless the customer signs in on the website before then and undoes the closure.")] DateOnly DestructionOn,
    [property: Description("When a law requires keeping some data, the reason: that data is then blocked, not destroyed.")] string? RetentionHold);

/// <summary>
/// /api/v1/me/data and /api/v1/me/close: "my data" (Art. 24 p.1 sub.1) as the very JSON file the cabinet gives,
/// and closing the account after the password, through <see cref="PersonalDataExport"/> and
/// <see cref="AccountClosure"/>. Neither waits behind the policy gate: a customer who does not accept a new edition
/// may still take their data and leave.
/// </summary>
public static class MeDataEndpoints
{
    public static void MapMeData(this RouteGroupBuilder me)
    {
        ArgumentNullException.ThrowIfNull(me);
        me.MapGet("/data", DataAsync)
            .WithName("GetMyData")
            .Produces<PersonalDataReport>(contentType: "application/json")
            .WithSummary("Everything held about the customer: the cabinet's JSON export, byte for byte.")
            .WithDescription("Profile, documents (metadata; files at /api/v1/me/documents/{id}/file), consent ledger with the exact words, sign-ins, sessions, requests, disclosures (except confidential ones) and storage periods. The same file as the cabinet's download, so its enums are written as their names (\"Verified\"), not in the API's kebab-case. Free, immediate, audited.");
        me.MapPost("/close", CloseAsync)
            .RequireRateLimiting(Security.RateLimits.Accounts)
            .WithName("CloseAccount")
            .Produces<ClosingResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Close the account: consent to processing withdrawn, every session and token ended at once, the data destroyed after the grace period.")
            .WithDescription("The token of this call stops working with the closure. wrong-password (403) for a wrong password, account-locked (403) after too many; account-closing (409) when it is already closing.");
    }

    private static async Task<IResult> DataAsync(HttpContext context, ClaimsPrincipal user, PersonalDataExport export, CancellationToken cancellationToken)
    {
        var report = await export.ReportAsync(MeEndpoints.CustomerId(user), "api", cancellationToken);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Bytes(PersonalDataExport.ToJson(report), "application/json; charset=utf-8");
    }

    private static async Task<IResult> CloseAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] CloseRequest? request,
        HttpContext context,
        ClaimsPrincipal user,
        DerbesDb db,
        AccountClosure closure,
        CancellationToken cancellationToken)
    {
        var errors = MeProfileEndpoints.Required(context, ("password", request?.Password));
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }
        var account = await MeProfileEndpoints.AccountAsync(db, user, cancellationToken);
        return await closure.CloseWithPasswordAsync(account, request!.Password, ConsentChannel.Api, cancellationToken) switch
        {
            ClosureStart.Started => TypedResults.Ok(new ClosingResponse(AccountStatus.Closing, closure.DestructionDay(account), account.RetentionHold)),
            ClosureStart.WrongPassword => MeProfileEndpoints.PasswordRefused(context, locked: false, "Close.WrongPassword"),
            ClosureStart.Locked => MeProfileEndpoints.PasswordRefused(context, locked: true),
            _ => ApiProblems.Problem(context, StatusCodes.Status409Conflict, ApiProblems.AccountClosing, "The account is being closed.", "Login.Closing"),
        };
    }
}

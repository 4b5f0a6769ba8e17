using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Api;

public sealed record PendingView(
    [property: Description("Masked, as on the cabinet's page.")] string Value,
    [property: Description("Until when the link or code works.")] DateTimeOffset ExpiresAt);

public sealed record ProfileResponse(
    string FirstName,
    string LastName,
    [property: Description("Masked: the first letters of the local part and the domain.")] string Email,
    [property: Description("Masked; null when none was given.")] string? Phone,
    bool PhoneConfirmed,
    [property: Description("kk, ru or en: the language of emails and SMS.")] string PreferredLanguage,
    [property: Description("A new address waiting for its confirmation link, if any.")] PendingView? PendingEmail,
    [property: Description("A new number waiting for its SMS code, if any.")] PendingView? PendingPhone);

public sealed record ProfilePatch(
    [property: Description("Up to 100 characters, no control characters. Omit to keep.")] string? FirstName,
    [property: Description("Up to 100 characters, no control characters. Omit to keep.")] string? LastName,
    [property: Description("kk, ru or en. Omit to keep.")] string? PreferredLanguage);

public sealed record EmailChangeRequest(
    [property: Description("The current password (a wrong one counts towards the sign-in lockout).")] string? Password,
    string? NewEmail);

public sealed record PhoneChangeRequest(
    [property: Description("The current password (a wrong one counts towards the sign-in lockout).")] string? Password,
    [property: Description("A Kazakhstan mobile number in any common form (+7 701 …, 8 701 …).")] string? NewPhone);

public sealed record PhoneCodeRequest([property: Description("The six-digit code sent by SMS to the new number.")] string? Code);

public sealed record AcceptedResponse([property: Description("What happens next, in the request's language: show it as it is.")] string Message);

/// <summary>
/// /api/v1/me/profile: the cabinet's profile page for the app, through the same <see cref="ProfileChanges"/>: names
/// and language at once, email and phone after the current password and a proof of the new address (a link) or
/// number (an SMS code). An address held by another account gets the same 202 as a free one.
/// </summary>
public static class MeProfileEndpoints
{
    public static void MapMeProfile(this RouteGroupBuilder gated)
    {
        ArgumentNullException.ThrowIfNull(gated);
        gated.MapGet("/profile", GetAsync)
            .WithName("GetProfile")
            .Produces<ProfileResponse>()
            .WithSummary("The profile: names, masked email and phone, language, and changes waiting for their proof.");
        gated.MapPatch("/profile", PatchAsync)
            .WithName("ChangeProfile")
            .Produces<ProfileResponse>()
            .ProducesValidationProblem()
            .WithSummary("Change first and last name and the preferred language; each change is announced by email.");
        gated.MapPost("/profile/email", EmailAsync)
            .RequireRateLimiting(RateLimits.Accounts)
            .WithName("RequestEmailChange")
            .Produces<AcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Ask to change the email address: a confirmation link goes to the new address, a notice to the current one.")
            .WithDescription("202 whether or not another account holds the new address (its holder is told instead). wrong-password and account-locked (403) when the current password is wrong; same-as-current (409); too-many-requests (429) after five requests in an hour.");
        gated.MapPost("/profile/phone", PhoneAsync)
            .RequireRateLimiting(RateLimits.Accounts)
            .WithName("RequestPhoneChange")
            .Produces<AcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Ask to change the phone number: a six-digit code goes by SMS to the new number (10 minutes, 5 tries).")
            .WithDescription("Then POST the code to /api/v1/me/profile/phone/confirm. too-many-requests (429, with Retry-After) before the cool-down between codes ends.");
        gated.MapPost("/profile/phone/confirm", ConfirmPhoneAsync)
            .RequireRateLimiting(RateLimits.Accounts)
            .WithName("ConfirmPhoneChange")
            .Produces<ProfileResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Confirm the new phone number with the SMS code.")
            .WithDescription("invalid-code and code-expired (400); code-locked (400) after five wrong codes, when the change starts again with the password; phone-taken (409) when another account took the number meanwhile.");
    }

    private static async Task<IResult> GetAsync(ClaimsPrincipal user, DerbesDb db, AccountDirectory directory, ProfileChanges changes, AuditTrail audit, CancellationToken cancellationToken)
    {
        var account = await AccountAsync(db, user, cancellationToken);
        audit.Record("cabinet.viewed", account.Id, outcome: "profile (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(account, directory, changes, cancellationToken));
    }

    private static async Task<IResult> PatchAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ProfilePatch? patch,
        HttpContext context,
        ClaimsPrincipal user,
        DerbesDb db,
        AccountDirectory directory,
        ProfileChanges changes,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        NameError(context, errors, "firstName", patch?.FirstName);
        NameError(context, errors, "lastName", patch?.LastName);
        if (patch?.PreferredLanguage is { } language && !Localization.Languages.IsSupported(language))
        {
            errors["preferredLanguage"] = [ApiProblems.Text(context, "Validation.Invalid")];
        }
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }
        var account = await AccountAsync(db, user, cancellationToken);
        if (patch?.FirstName is not null || patch?.LastName is not null)
        {
            var profile = directory.Open(account);
            await changes.ChangeNamesAsync(account, patch.FirstName ?? profile.FirstName, patch.LastName ?? profile.LastName, cancellationToken);
        }
        if (patch?.PreferredLanguage is not null)
        {
            await changes.ChangeLanguageAsync(account, patch.PreferredLanguage, cancellationToken);
        }
        return TypedResults.Ok(await ViewAsync(account, directory, changes, cancellationToken));
    }

    private static async Task<IResult> EmailAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] EmailChangeRequest? request,
        HttpContext context,
        ClaimsPrincipal user,
        DerbesDb db,
        ProfileChanges changes,
        CancellationToken cancellationToken)
    {
        var errors = Required(context, ("password", request?.Password), ("newEmail", request?.NewEmail));
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }
        var account = await AccountAsync(db, user, cancellationToken);
        return await changes.RequestEmailChangeAsync(account, request!.Password, request.NewEmail, cancellationToken) switch
        {
            ContactChangeRequest.Sent => TypedResults.Accepted((string?)null, new AcceptedResponse(ApiProblems.Text(context, "Profile.Email.Sent"))),
            ContactChangeRequest.Invalid => ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["newEmail"] = [ApiProblems.Text(context, "Validation.Email")] }),
            ContactChangeRequest.Same => Same(context, "Profile.Email.Same"),
            ContactChangeRequest.TooSoon => TooSoon(context, TimeSpan.FromHours(1), "Profile.TooSoon"),
            var refused => PasswordRefused(context, refused == ContactChangeRequest.LockedOut),
        };
    }

    private static async Task<IResult> PhoneAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] PhoneChangeRequest? request,
        HttpContext context,
        ClaimsPrincipal user,
        DerbesDb db,
        ProfileChanges changes,
        CancellationToken cancellationToken)
    {
        var errors = Required(context, ("password", request?.Password), ("newPhone", request?.NewPhone));
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }
        var account = await AccountAsync(db, user, cancellationToken);
        var (result, wait) = await changes.RequestPhoneChangeAsync(account, request!.Password, request.NewPhone, cancellationToken);
        return result switch
        {
            ContactChangeRequest.Sent => TypedResults.Accepted((string?)null, new AcceptedResponse(ApiProblems.Text(context, "Profile.Phone.Sent"))),
            ContactChangeRequest.Invalid => ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["newPhone"] = [ApiProblems.Text(context, "Validation.Phone")] }),
            ContactChangeRequest.Same => Same(context, "Profile.Phone.Same"),
            ContactChangeRequest.TooSoon => wait < TimeSpan.FromHours(1)
                ? TooSoon(context, wait, "Code.Cooldown", (int)Math.Ceiling(wait.TotalSeconds))
                : TooSoon(context, wait, "Profile.TooSoon"),
            var refused => PasswordRefused(context, refused == ContactChangeRequest.LockedOut),
        };
    }

    private static async Task<IResult> ConfirmPhoneAsync(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] PhoneCodeRequest? request,
        HttpContext context,
        ClaimsPrincipal user,
        DerbesDb db,
        AccountDirectory directory,
        ProfileChanges changes,
        CancellationToken cancellationToken)
    {
        var errors = Required(context, ("code", request?.Code));
        if (request?.Code is { Length: > 12 })
        {
            errors["code"] = [ApiProblems.TooLong(context)];
        }
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(context, errors);
        }
        var account = await AccountAsync(db, user, cancellationToken);
        return await changes.ConfirmPhoneChangeAsync(account, request!.Code, cancellationToken) switch
        {
            ContactChangeOutcome.Changed => TypedResults.Ok(await ViewAsync(account, directory, changes, cancellationToken)),
            ContactChangeOutcome.Taken => ApiProblems.Problem(context, StatusCodes.Status409Conflict, ApiProblems.PhoneTaken, "Another account holds this number.", "Profile.Phone.Taken"),
            ContactChangeOutcome.TooManyAttempts => ApiProblems.Problem(context, StatusCodes.Status400BadRequest, ApiProblems.CodeLocked, "Too many wrong codes; start again.", "Profile.Phone.Locked"),
            ContactChangeOutcome.Expired => ApiProblems.Problem(context, StatusCodes.Status400BadRequest, ApiProblems.CodeExpired, "The code has expired.", "Code.Expired"),
            _ => ApiProblems.Problem(context, StatusCodes.Status400BadRequest, ApiProblems.InvalidCode, "The code is not right.", "Code.Invalid"),
        };
    }

    /// <summary>The signed-in customer's account, tracked for a change.</summary>
    internal static Task<Account> AccountAsync(DerbesDb db, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var id = MeEndpoints.CustomerId(user);
        return db.Users.SingleAsync(a => a.Id == id, cancellationToken);
    }

    /// <summary>The refusal of a wrong current password (it counted towards the lockout) or of a locked account.</summary>
    internal static IResult PasswordRefused(HttpContext context, bool locked, string wrongKey = "Profile.WrongPassword", string lockedKey = "Profile.LockedOut") => locked
        ? ApiProblems.Problem(context, StatusCodes.Status403Forbidden, ApiProblems.AccountLocked, "Too many wrong passwords; the account is locked for a while.", lockedKey)
        : ApiProblems.Problem(context, StatusCodes.Status403Forbidden, ApiProblems.WrongPassword, "The current password is not right.", wrongKey);

    /// <summary>A 400 naming each required field that is missing.</summary>
    internal static Dictionary<string, string[]> Required(HttpContext context, params (string Field, string? Value)[] fields)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (field, value) in fields.Where(f => string.IsNullOrWhiteSpace(f.Value)))
        {
            errors[field] = [ApiProblems.Required(context)];
        }
        return errors;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Same(HttpContext context, string key) =>
        ApiProblems.Problem(context, StatusCodes.Status409Conflict, ApiProblems.SameAsCurrent, "This is already the account's own.", key);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooSoon(HttpContext context, TimeSpan wait, string key, params object[] arguments)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ApiProblems.Described(context, StatusCodes.Status429TooManyRequests, ApiProblems.TooManyRequests, "Too many requests.", ApiProblems.Text(context, key, arguments));
    }

    private static void NameError(HttpContext context, Dictionary<string, string[]> errors, string field, string? value)
    {
        if (value is null)
        {
            return;
        }
        var key = ProfileChanges.CheckName(value) switch
        {
            NameProblem.Required => "Validation.Required",
            NameProblem.TooLong => "Validation.TooLong",
            NameProblem.ControlCharacters => "Validation.NoControlCharacters",
            _ => null,
        };
        if (key is not null)
        {
            errors[field] = [ApiProblems.Text(context, key)];
        }
    }

    private static async Task<ProfileResponse> ViewAsync(Account account, AccountDirectory directory, ProfileChanges changes, CancellationToken cancellationToken)
    {
        var profile = directory.Open(account);
        var email = await changes.PendingEmailAsync(account, cancellationToken);
        var phone = await changes.PendingPhoneAsync(account, cancellationToken);
        return new ProfileResponse(
            profile.FirstName,
            profile.LastName,
            Masking.Email(profile.Email),
            profile.Phone is null ? null : Masking.Phone(profile.Phone),
            account.PhoneNumberConfirmed,
            account.PreferredLanguage,
            email is null ? null : new PendingView(Masking.Email(email.Value), email.ExpiresAt),
            phone is null ? null : new PendingView(Masking.Phone(phone.Value), phone.ExpiresAt));
    }
}

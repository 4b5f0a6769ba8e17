using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Api;

public sealed record DocumentSummary(Guid Id, DocumentStatus Status, DateTimeOffset UploadedAt, DateTimeOffset? ReviewedAt, RejectionReason? Rejection);

public sealed record MeResponse(
    string CustomerNumber,
    string FirstName,
    string LastName,
    [property: Description("Masked: the first letters of the local part and the domain.")] string Email,
    [property: Description("Masked; null when none was given.")] string? Phone,
    bool PhoneConfirmed,
    AccountStatus Status,
    [property: Description("kk, ru or en: the language of emails and SMS.")] string PreferredLanguage,
    [property: Description("none, or the new policy edition the customer must read (acknowledge) or agree to again (reconsent) in the cabinet.")] PolicyDue PolicyUpdate,
    IReadOnlyList<DocumentSummary> Documents);

public sealed record ConsentView(
    ConsentPurpose Purpose,
    bool Agrees,
    [property: Description("When the latest decision was recorded; null if the customer never decided.")] DateTimeOffset? Since,
    [property: Description("The exact words of this consent in the request's language: show them beside the switch; the ledger records their hash.")] string Text);

public sealed record ConsentsResponse(int Edition, IReadOnlyList<ConsentView> Consents);

public sealed record ConsentChange([property: Description("true to give the consent, false to withdraw it.")] bool? Agree);

public sealed record SessionView(
    Guid Id,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastSeenAt,
    [property: Description("The browser's or app's User-Agent.")] string Device,
    string Ip,
    [property: Description("The app opened this session (it holds tokens); otherwise a browser did.")] bool App,
    [property: Description("The session of this very call.")] bool Current);

/// <summary>
/// /api/v1/me: the cabinet for the app, acting only on the signed-in customer (ids of anything else are 404).
/// Each endpoint is thin: it calls the same services as the cabinet pages, and audits reads of personal data.
/// New endpoints go in this group (or in <c>gated</c> when the policy gate applies) and follow the same shape.
/// </summary>
public static class MeEndpoints
{
    public static void MapMe(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var me = api.MapGroup("/me")
            .RequireAuthorization(ApiAuthentication.CustomerPolicy)
            .WithTags("Me")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        // Like the cabinet's PolicyGate: a customer who owes the new edition a reading or an agreement does that on
        // the website first. The overview (which says so) and the sessions (security never waits) stay open.
        var gated = me.MapGroup("")
            .AddEndpointFilter(PolicyGateAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        me.MapGet("", OverviewAsync)
            .WithName("GetMe")
            .Produces<MeResponse>()
            .WithSummary("The overview: customer number, name, masked email and phone, status, language, documents.");
        gated.MapGet("/consents", ConsentsAsync)
            .WithName("GetConsents")
            .Produces<ConsentsResponse>()
            .WithSummary("The optional consents (advertising by email, by SMS, transfer to third parties) and their words.");
        gated.MapPut("/consents/{purpose}", SwitchAsync)
            .WithName("SwitchConsent")
            .Produces<ConsentView>()
            .WithSummary("Give or withdraw one optional consent, effective at once; each change is a consent-ledger record.")
            .WithDescription("purpose: advertising-email, advertising-sms or third-party-transfer. A switch already in that position records nothing.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        me.MapGet("/sessions", SessionsAsync)
            .WithName("GetSessions")
            .Produces<List<SessionView>>()
            .WithSummary("The open sessions: browsers and apps.");
        me.MapDelete("/sessions/{id:guid}", EndSessionAsync)
            .WithName("EndSession")
            .WithSummary("End one session (this one too): its cookie or tokens stop working at once.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        // The cabinet's parts, each in its own file, through the pages' services.
        gated.MapMeProfile();
        gated.MapMeDocuments();
        gated.MapMeRequests();
        me.MapMeSecurity();
        me.MapMeData();
    }

    /// <summary>The signed-in customer's account id (the bearer handler admits customers only).</summary>
    public static Guid CustomerId(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!);
    }

    private static async ValueTask<object?> PolicyGateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var agreement = http.RequestServices.GetRequiredService<PolicyAgreement>();
        var (due, edition) = await agreement.DueAsync(CustomerId(http.User), http.RequestAborted);
        if (due != PolicyDue.None)
        {
            return ApiProblems.Problem(http, StatusCodes.Status403Forbidden, ApiProblems.PolicyUpdateDue, "A new edition of the privacy policy awaits the customer in the cabinet.", "Api.PolicyUpdate",
                new Dictionary<string, object?> { ["edition"] = edition, ["policyUpdate"] = JsonNamingPolicy.KebabCaseLower.ConvertName(due.ToString()) });
        }
        return await next(context);
    }

    private static async Task<IResult> OverviewAsync(ClaimsPrincipal user, DerbesDb db, AccountDirectory directory, PolicyAgreement agreement, AuditTrail audit, CancellationToken cancellationToken)
    {
        var id = CustomerId(user);
        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == id, cancellationToken);
        var profile = directory.Open(account);
        var documents = await db.Documents.AsNoTracking().Where(d => d.AccountId == id)
            .OrderBy(d => d.UploadedAt)
            .Select(d => new DocumentSummary(d.Id, d.Status, d.UploadedAt, d.ReviewedAt, d.Rejection))
            .ToListAsync(cancellationToken);
        var (due, _) = await agreement.DueAsync(id, cancellationToken);
        audit.Record("cabinet.viewed", id, outcome: "overview (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new MeResponse(
            account.UserName ?? "",
            profile.FirstName,
            profile.LastName,
            Masking.Email(profile.Email),
            profile.Phone is null ? null : Masking.Phone(profile.Phone),
            account.PhoneNumberConfirmed,
            account.Status,
            account.PreferredLanguage,
            due,
            documents));
    }

    private static async Task<IResult> ConsentsAsync(ClaimsPrincipal user, ConsentSwitches switches, AuditTrail audit, DerbesDb db, CancellationToken cancellationToken)
    {
        var id = CustomerId(user);
        var edition = await switches.EditionAsync(cancellationToken);
        var current = await switches.CurrentAsync(id, cancellationToken);
        audit.Record("cabinet.viewed", id, outcome: "consents (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new ConsentsResponse(edition, [.. current.Select(c => View(switches, c, edition))]));
    }

    private static async Task<IResult> SwitchAsync(
        string purpose,
        [Microsoft.AspNetCore.Mvc.FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ConsentChange? change,
        HttpContext context,
        ClaimsPrincipal user,
        ConsentSwitches switches,
        CancellationToken cancellationToken)
    {
        // Only the switchable purposes exist here, by their JSON names (never by number).
        var which = ConsentSwitches.Switchable.Where(p => JsonNamingPolicy.KebabCaseLower.ConvertName(p.ToString()) == purpose).Cast<ConsentPurpose?>().SingleOrDefault();
        if (which is null)
        {
            return ApiProblems.NotFoundProblem(context);
        }
        if (change?.Agree is not { } agree)
        {
            return ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["agree"] = [ApiProblems.Required(context)] });
        }
        var id = CustomerId(user);
        await switches.SwitchAsync(id, which.Value, agree, ConsentChannel.Api, cancellationToken);
        var edition = await switches.EditionAsync(cancellationToken);
        var now = (await switches.CurrentAsync(id, cancellationToken)).Single(c => c.Purpose == which);
        return TypedResults.Ok(View(switches, now, edition));
    }

    private static async Task<IResult> SessionsAsync(ClaimsPrincipal user, DerbesDb db, AppTokens tokens, AuditTrail audit, IOptions<ApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var id = CustomerId(user);
        // Open sessions seen within the longest time any session may idle (an app's refresh token).
        var since = clock.GetUtcNow() - options.Value.RefreshTokenLifetime;
        var sessions = await db.Sessions.AsNoTracking()
            .Where(s => s.AccountId == id && s.EndedAt == null && s.LastSeenAt > since)
            .OrderByDescending(s => s.LastSeenAt)
            .ToListAsync(cancellationToken);
        var apps = await tokens.AppSessionsAsync([.. sessions.Select(s => s.Id)], cancellationToken);
        var current = user.FindFirstValue(SessionClaims.SessionId);
        audit.Record("cabinet.viewed", id, outcome: "sessions (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(sessions.Select(s => new SessionView(s.Id, s.CreatedAt, s.LastSeenAt, s.UserAgent, s.Ip, apps.Contains(s.Id), s.Id.ToString("N") == current)).ToList());
    }

    private static async Task<IResult> EndSessionAsync(Guid id, HttpContext context, ClaimsPrincipal user, DerbesDb db, AuditTrail audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var customer = CustomerId(user);
        // Another customer's session is not "forbidden", it does not exist (SECURITY-CHECKS 23).
        var session = await db.Sessions.SingleOrDefaultAsync(s => s.Id == id && s.AccountId == customer, cancellationToken);
        if (session is null)
        {
            return ApiProblems.NotFoundProblem(context);
        }
        if (session.IsOpen)
        {
            session.End(clock.GetUtcNow());
            audit.Record("session.ended", customer, outcome: "session:" + id.ToString("N")[..12] + " (api)");
            await db.SaveChangesAsync(cancellationToken);
        }
        return TypedResults.NoContent();
    }

    private static ConsentView View(ConsentSwitches switches, ConsentSwitch current, int edition) =>
        new(current.Purpose, current.Agrees, current.Since, switches.Wording(current.Purpose, edition, Localization.Languages.Current));
}

using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Pages.Cabinet.Requests;
using Derbes.Web.Requests;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Api;

public sealed record NewRequest(
    [property: Description("rectification, blocking, destruction, consent-withdrawal, automated-decision-objection, information, complaint or breach-report.")] string? Kind,
    [property: Description("What the customer asks for, in their words (line breaks allowed).")] string? Text);

public sealed record RequestFileView(long Id, string Name, string ContentType, long Size);

public sealed record RequestReply([property: Description("The customer's answer to the question staff asked (line breaks allowed).")] string? Text);

public sealed record RequestDetail(
    long Id,
    [property: Description("SMALL-2026-000123")] string Number,
    RequestKind Kind,
    DateTimeOffset ReceivedAt,
    [property: Description("The statutory deadline, a working day in Almaty.")] DateOnly DueOn,
    RequestStatus Status,
    string Text,
    [property: Description("The answer, once there is one.")] string? Answer,
    DateTimeOffset? AnsweredAt,
    IReadOnlyList<RequestFileView> Files,
    [property: Description("What happened that concerns the customer, oldest first: a question (awaiting-customer until they reply), their reply, a later due date with its reason, a new kind, the answer, the closing.")] IReadOnlyList<RequestStep> History);

/// <summary>
/// /api/v1/me/requests: the cabinet's statutory requests (Art. 24) and complaints for the app, through
/// <see cref="CustomerRequests"/>: filing (JSON, or multipart with the supporting document of a rectification),
/// listing, opening one and its file. Another customer's request or file is 404.
/// </summary>
public static class MeRequestEndpoints
{
    public static void MapMeRequests(this RouteGroupBuilder gated)
    {
        ArgumentNullException.ThrowIfNull(gated);
        gated.MapGet("/requests", ListAsync)
            .WithName("GetRequests")
            .Produces<List<RequestSummary>>()
            .WithSummary("The customer's requests and complaints, newest first: number, kind, received, due date, status.");
        gated.MapGet("/requests/{id:long}", FindAsync)
            .WithName("GetRequest")
            .Produces<RequestDetail>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One request: what the customer wrote, its files, its history, and the answer once there is one.");
        gated.MapPost("/requests/{id:long}/reply", ReplyAsync)
            .RequireRateLimiting(Security.RateLimits.Accounts)
            .DisableAntiforgery()
            .Accepts<RequestReply>("application/json")
            .WithName("ReplyToRequest")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Reply to the question staff asked about the request; it goes back to them.")
            .WithDescription("request-not-awaiting-reply (409) when no question awaits a reply.");
        gated.MapGet("/requests/{id:long}/files/{fileId:long}", FileAsync)
            .WithName("GetRequestFile")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A file the customer sent with a request, as an attachment.");
        gated.MapPost("/requests", FileRequestAsync)
            .RequireRateLimiting(Security.RateLimits.Accounts)
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(NewModel.MaxRequestBytes), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = Pages.Account.RegisterModel.MaxFileSectionBytes })
            .Accepts<NewRequest>("application/json", "multipart/form-data")
            .WithName("FileRequest")
            .Produces<RequestSummary>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("File a request or complaint: it gets a number, a due date and an acknowledgement email.")
            .WithDescription("JSON with kind and text, or multipart/form-data with the fields kind and text and, for a rectification only, an optional file part `document` (PDF, JPEG or PNG, at most 10 MB, the checks of registration). A refused file is document-rejected (422); nothing is stored when anything is refused.");
    }

    private static async Task<IResult> ListAsync(ClaimsPrincipal user, CustomerRequests requests, AuditTrail audit, DerbesDb db, CancellationToken cancellationToken)
    {
        var id = MeEndpoints.CustomerId(user);
        var list = await requests.ListOwnAsync(id, cancellationToken);
        audit.Record("cabinet.viewed", id, outcome: "requests (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(list);
    }

    private static async Task<IResult> FindAsync(long id, HttpContext context, ClaimsPrincipal user, CustomerRequests requests, CancellationToken cancellationToken)
    {
        var view = await requests.FindOwnAsync(MeEndpoints.CustomerId(user), id, cancellationToken);
        if (view is null)
        {
            return ApiProblems.NotFoundProblem(context);
        }
        var s = view.Summary;
        return TypedResults.Ok(new RequestDetail(s.Id, s.Number, s.Kind, s.ReceivedAt, s.DueOn, s.Status, view.Text, view.Answer, view.AnsweredAt,
            [.. view.Files.Select(f => new RequestFileView(f.Id, f.Name, f.ContentType, f.Size))], view.History));
    }

    private static async Task<IResult> ReplyAsync(long id, RequestReply? body, HttpContext context, ClaimsPrincipal user, CustomerRequests requests, CancellationToken cancellationToken)
    {
        var result = await requests.ReplyAsync(MeEndpoints.CustomerId(user), id, body?.Text, cancellationToken);
        return result switch
        {
            ReplyResult.Done => TypedResults.NoContent(),
            ReplyResult.NotFound => ApiProblems.NotFoundProblem(context),
            ReplyResult.NotAwaiting => ApiProblems.Problem(context, StatusCodes.Status409Conflict, ApiProblems.RequestNotAwaiting, "No question awaits a reply on this request.", "Requests.ReplyNotAwaited"),
            ReplyResult.TextMissing => Field(context, "text", ApiProblems.Required(context)),
            ReplyResult.TextTooLong => Field(context, "text", ApiProblems.Text(context, "Requests.TextTooLong", requests.MaxTextLength)),
            _ => Field(context, "text", ApiProblems.Text(context, "Validation.NoControlCharacters")),
        };
    }

    private static async Task<IResult> FileAsync(long id, long fileId, HttpContext context, ClaimsPrincipal user, CustomerRequests requests, CancellationToken cancellationToken)
    {
        var opened = await requests.OpenFileAsync(MeEndpoints.CustomerId(user), id, fileId, cancellationToken);
        return opened is { } file
            ? MeDocumentEndpoints.Download(context, file.Bytes, file.File.ContentType, file.File.Name)
            : ApiProblems.NotFoundProblem(context);
    }

    private static async Task<IResult> FileRequestAsync(HttpContext context, ClaimsPrincipal user, CustomerRequests requests, IOptions<DocumentOptions> documentOptions, CancellationToken cancellationToken)
    {
        string? kindName;
        string? text;
        RequestUpload? upload = null;
        var limits = documentOptions.Value;
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(cancellationToken);
            kindName = form["kind"];
            text = form["text"];
            if (form.Files.GetFile("document") is { } file && (file.Length > 0 || !string.IsNullOrEmpty(file.FileName)))
            {
                if (file.Length > limits.MaxFileBytes)
                {
                    return MeDocumentEndpoints.Rejected(context, [(DocumentFileName.Clean(file.FileName), DocumentRejection.TooLarge)], limits);
                }
                using var buffer = new MemoryStream((int)file.Length);
                await file.CopyToAsync(buffer, cancellationToken);
                upload = new RequestUpload(file.FileName, buffer.ToArray());
            }
        }
        else if (context.Request.HasJsonContentType())
        {
            NewRequest? body;
            try
            {
                body = await context.Request.ReadFromJsonAsync<NewRequest>(cancellationToken);
            }
            catch (JsonException)
            {
                return ApiProblems.ForStatus(context, StatusCodes.Status400BadRequest);
            }
            (kindName, text) = (body?.Kind, body?.Text);
        }
        else
        {
            return ApiProblems.ForStatus(context, StatusCodes.Status415UnsupportedMediaType);
        }

        // Only the kinds a customer files, by their JSON names (never by number).
        var kind = CustomerRequests.CustomerKinds.Where(k => JsonNamingPolicy.KebabCaseLower.ConvertName(k.ToString()) == kindName).Cast<RequestKind?>().SingleOrDefault();
        if (kind is null)
        {
            return ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["kind"] = [ApiProblems.Text(context, "Requests.KindRequired")] });
        }
        var result = await requests.FileAsync(MeEndpoints.CustomerId(user), kind.Value, text, upload, RequestChannel.Cabinet, cancellationToken);
        var request = result.Request;
        return result.Refusal switch
        {
            FilingRefusal.None => TypedResults.Created($"/api/v1/me/requests/{request!.Id}", new RequestSummary(request.Id, request.Number, request.Kind, request.ReceivedAt, request.DueOn, request.Status)),
            FilingRefusal.TextMissing => Field(context, "text", ApiProblems.Required(context)),
            FilingRefusal.TextTooLong => Field(context, "text", ApiProblems.Text(context, "Requests.TextTooLong", requests.MaxTextLength)),
            FilingRefusal.TextNotAllowed => Field(context, "text", ApiProblems.Text(context, "Validation.NoControlCharacters")),
            FilingRefusal.DocumentNotForThisKind => Field(context, "document", ApiProblems.Text(context, "Requests.DocumentOnlyForRectification")),
            FilingRefusal.DocumentRejected => MeDocumentEndpoints.Rejected(context, [(DocumentFileName.Clean(upload?.FileName), result.Document)], limits),
            _ => ApiProblems.ForStatus(context, StatusCodes.Status403Forbidden),
        };
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Field(HttpContext context, string field, string error) =>
        ApiProblems.Invalid(context, new Dictionary<string, string[]> { [field] = [error] });
}

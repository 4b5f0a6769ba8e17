using System.ComponentModel;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Pages.Account;
using Microsoft.AspNetCore.Mvc;

namespace Derbes.Web.Api;

public sealed record DocumentView(
    Guid Id,
    [property: Description("The cleaned name the file was uploaded under.")] string FileName,
    [property: Description("application/pdf, image/jpeg or image/png, as found by content.")] string ContentType,
    long Size,
    DateTimeOffset UploadedAt,
    DocumentStatus Status,
    DateTimeOffset? ReviewedAt,
    RejectionReason? Rejection,
    [property: Description("The reviewer's note to the customer, if any.")] string? Note,
    [property: Description("False once verified: a verified document is kept (a destruction request asks for it).")] bool CanDelete,
    [property: Description("False once the file was destroyed at the end of its retention (the result stays).")] bool HasFile)
{
    internal static DocumentView Of(OwnDocument d) =>
        new(d.Id, d.FileName, d.ContentType, d.Size, d.UploadedAt, d.Status, d.ReviewedAt, d.Rejection, d.Note, d.CanDelete, d.HasFile);
}

public sealed record RefusedFile(string Name, DocumentRejection Reason);

/// <summary>
/// /api/v1/me/documents: the cabinet's documents for the app, through <see cref="CustomerDocuments"/>: the list with
/// each review's result, one document, its file, another document or a replacement (multipart, the very checks of
/// registration), and deleting one that is not verified. Another customer's id is 404, like one that never existed.
/// </summary>
public static class MeDocumentEndpoints
{
    public static void MapMeDocuments(this RouteGroupBuilder gated)
    {
        ArgumentNullException.ThrowIfNull(gated);
        gated.MapGet("/documents", ListAsync)
            .WithName("GetDocuments")
            .Produces<List<DocumentView>>()
            .WithSummary("The customer's documents, newest first, with the review's result.");
        gated.MapGet("/documents/{id:guid}", FindAsync)
            .WithName("GetDocument")
            .Produces<DocumentView>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One document.");
        gated.MapGet("/documents/{id:guid}/file", FileAsync)
            .WithName("GetDocumentFile")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The document's file, decrypted, as an attachment (PDF, JPEG or PNG).")
            .WithDescription("404 also once the file was destroyed at the end of its retention.");
        Upload(gated.MapPost("/documents", UploadAsync))
            .WithName("UploadDocuments")
            .Produces<List<DocumentView>>(StatusCodes.Status201Created)
            .WithSummary("Add documents (multipart/form-data, one or more file parts named `documents`); they await review.")
            .WithDescription("Each file passes the checks of registration (PDF, JPEG or PNG, at most 10 MB, virus scan, no active content); all or nothing. document-rejected (422) names each refused file and why; too-many-documents (409) when as many unverified documents as registration allows are already waiting.");
        Upload(gated.MapPut("/documents/{id:guid}/file", ReplaceAsync))
            .WithName("ReplaceDocument")
            .Produces<DocumentView>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Replace an unverified document with a new file (multipart, one part named `documents`).")
            .WithDescription("The new document (with a new id) awaits review; the old one is destroyed. document-verified (409) when it was verified meanwhile.");
        gated.MapDelete("/documents/{id:guid}", DeleteAsync)
            .WithName("DeleteDocument")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Delete a document that is not verified: its file and record are destroyed.")
            .WithDescription("document-verified (409): verified documents are kept; ask for their destruction with a request.");
    }

    /// <summary>
    /// What an upload endpoint shares: the size limits of the cabinet's page, the hashing limit, and no antiforgery
    /// token (that defends cookies; the API reads only bearer tokens, which a page of another site cannot send).
    /// </summary>
    internal static RouteHandlerBuilder Upload(RouteHandlerBuilder builder) => builder
        .RequireRateLimiting(Security.RateLimits.Accounts)
        .DisableAntiforgery()
        .WithMetadata(new RequestSizeLimitAttribute(RegisterModel.MaxRequestBytes), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = RegisterModel.MaxFileSectionBytes })
        .Accepts<IFormFileCollection>("multipart/form-data")
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static async Task<IResult> ListAsync(ClaimsPrincipal user, CustomerDocuments documents, AuditTrail audit, DerbesDb db, CancellationToken cancellationToken)
    {
        var id = MeEndpoints.CustomerId(user);
        var list = await documents.ListAsync(id, cancellationToken);
        audit.Record("cabinet.viewed", id, outcome: "documents (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(list.Select(DocumentView.Of).ToList());
    }

    private static async Task<IResult> FindAsync(Guid id, HttpContext context, ClaimsPrincipal user, CustomerDocuments documents, AuditTrail audit, DerbesDb db, CancellationToken cancellationToken)
    {
        var customer = MeEndpoints.CustomerId(user);
        var document = await documents.FindAsync(customer, id, cancellationToken);
        if (document is null)
        {
            return ApiProblems.NotFoundProblem(context);
        }
        audit.Record("cabinet.viewed", customer, outcome: "document:" + id.ToString("N")[..12] + " (api)");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(DocumentView.Of(document));
    }

    private static async Task<IResult> FileAsync(Guid id, HttpContext context, ClaimsPrincipal user, CustomerDocuments documents, CancellationToken cancellationToken)
    {
        var opened = await documents.OpenAsync(MeEndpoints.CustomerId(user), id, cancellationToken);
        if (opened is not var (document, bytes))
        {
            return ApiProblems.NotFoundProblem(context);
        }
        return Download(context, bytes, document.ContentType, CustomerDocuments.DownloadName(document));
    }

    private static async Task<IResult> UploadAsync(HttpContext context, ClaimsPrincipal user, CustomerDocuments documents, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return ApiProblems.ForStatus(context, StatusCodes.Status415UnsupportedMediaType);
        }
        var form = await context.Request.ReadFormAsync(cancellationToken);
        var customer = MeEndpoints.CustomerId(user);
        var upload = await documents.UploadAsync(customer, [.. form.Files], replacing: null, cancellationToken);
        if (!upload.Succeeded)
        {
            return Refused(context, upload, documents.Limits);
        }
        var added = new List<DocumentView>();
        foreach (var documentId in upload.Added)
        {
            added.Add(DocumentView.Of((await documents.FindAsync(customer, documentId, cancellationToken))!));
        }
        return TypedResults.Created((string?)null, added);
    }

    private static async Task<IResult> ReplaceAsync(Guid id, HttpContext context, ClaimsPrincipal user, CustomerDocuments documents, CancellationToken cancellationToken)
    {
        var customer = MeEndpoints.CustomerId(user);
        // Not the customer's document: 404 before anything is read or inspected.
        if (await documents.FindAsync(customer, id, cancellationToken) is null)
        {
            return ApiProblems.NotFoundProblem(context);
        }
        if (!context.Request.HasFormContentType)
        {
            return ApiProblems.ForStatus(context, StatusCodes.Status415UnsupportedMediaType);
        }
        var form = await context.Request.ReadFormAsync(cancellationToken);
        var upload = await documents.UploadAsync(customer, [.. form.Files], replacing: id, cancellationToken);
        if (upload.Problem == UploadProblem.NotFound)
        {
            return ApiProblems.NotFoundProblem(context);
        }
        if (!upload.Succeeded)
        {
            return upload.Problem == UploadProblem.TooMany
                ? ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["documents"] = [ApiProblems.Text(context, "MyDocuments.OneFile")] })
                : Refused(context, upload, documents.Limits);
        }
        return TypedResults.Ok(DocumentView.Of((await documents.FindAsync(customer, upload.Added[0], cancellationToken))!));
    }

    private static async Task<IResult> DeleteAsync(Guid id, HttpContext context, ClaimsPrincipal user, CustomerDocuments documents, CancellationToken cancellationToken) =>
        await documents.DeleteAsync(MeEndpoints.CustomerId(user), id, cancellationToken) switch
        {
            DeleteOutcome.Deleted => TypedResults.NoContent(),
            DeleteOutcome.Verified => Verified(context),
            _ => ApiProblems.NotFoundProblem(context),
        };

    /// <summary>
    /// A customer's own file as an attachment: never cached, never sniffed, sandboxed should anything render it.
    /// </summary>
    internal static IResult Download(HttpContext context, byte[] bytes, string contentType, string name)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        return TypedResults.File(bytes, contentType, name);
    }

    /// <summary>Why an upload stored nothing, as a problem the app can switch on.</summary>
    internal static IResult Refused(HttpContext context, DocumentUpload upload, DocumentOptions limits) => upload.Problem switch
    {
        UploadProblem.NoFile => ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["documents"] = [ApiProblems.Text(context, "MyDocuments.FileRequired")] }),
        UploadProblem.TooMany => ApiProblems.Invalid(context, new Dictionary<string, string[]> { ["documents"] = [ApiProblems.Text(context, "Documents.TooMany", limits.MaxFiles)] }),
        UploadProblem.TooManyHeld => ApiProblems.Described(context, StatusCodes.Status409Conflict, ApiProblems.TooManyDocuments, "Too many documents await review.",
            ApiProblems.Text(context, "MyDocuments.TooManyHeld", limits.MaxFiles)),
        UploadProblem.Verified => Verified(context),
        _ => Rejected(context, upload.Refusals, limits),
    };

    /// <summary>The 422 of files refused by the inspection: each by name with its reason, and the reasons in words.</summary>
    internal static IResult Rejected(HttpContext context, IEnumerable<(string Name, DocumentRejection Rejection)> refusals, DocumentOptions limits)
    {
        var list = refusals.ToList();
        var megabytes = limits.MaxFileBytes / (1024 * 1024);
        return ApiProblems.Described(context, StatusCodes.Status422UnprocessableEntity, ApiProblems.DocumentRejected, "A file was refused; nothing was stored.",
            string.Join(" ", list.Select(r => ApiProblems.Text(context, "Documents.Rejected." + r.Rejection, r.Name, megabytes))),
            new Dictionary<string, object?> { ["files"] = list.Select(r => new RefusedFile(r.Name, r.Rejection)).ToList() });
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Verified(HttpContext context) =>
        ApiProblems.Problem(context, StatusCodes.Status409Conflict, ApiProblems.DocumentVerified, "The document is verified; it is kept.", "MyDocuments.NowVerified");
}

using Derbes.Web.Documents;
using Derbes.Web.Pages.Account;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// One of the customer's documents: its facts and result, the file itself (as an attachment), and, while it is not
/// verified, a replacement or deletion. Another customer's document id is "not found", like one that never existed.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
[RequestSizeLimit(RegisterModel.MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = RegisterModel.MaxFileSectionBytes)]
public sealed class DocumentsDetailModel(CustomerDocuments documents, IStringLocalizer<SharedResource> l) : PageModel
{
    public OwnDocument? Document { get; private set; }

    /// <summary>The new file; one, bound from the same field name as at registration.</summary>
    [BindProperty]
    public List<IFormFile> Documents { get; set; } = [];

    public DocumentOptions Limits => documents.Limits;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        Document = await documents.FindAsync(DocumentsModel.AccountId(User), id, cancellationToken);
        return Document is null ? NotFound() : Page();
    }

    /// <summary>
    /// The customer's own file, decrypted, as an attachment under its cleaned name with the extension of its real
    /// type: never rendered in the site's origin (sandboxed, not sniffed) and never cached. Audited.
    /// </summary>
    public async Task<IActionResult> OnGetDownloadAsync(Guid id, CancellationToken cancellationToken)
    {
        var opened = await documents.OpenAsync(DocumentsModel.AccountId(User), id, cancellationToken);
        if (opened is null)
        {
            return NotFound();
        }
        var (document, bytes) = opened.Value;
        Response.Headers.CacheControl = "no-store";
        Response.Headers.XContentTypeOptions = "nosniff";
        Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        return File(bytes, document.ContentType, CustomerDocuments.DownloadName(document));
    }

    /// <summary>A new file in place of this (unverified) document, which is destroyed once the new one is stored.</summary>
    public async Task<IActionResult> OnPostReplaceAsync(Guid id, CancellationToken cancellationToken)
    {
        var account = DocumentsModel.AccountId(User);
        var upload = await documents.UploadAsync(account, Documents, replacing: id, cancellationToken);
        if (upload.Problem == UploadProblem.NotFound)
        {
            return NotFound();
        }
        if (upload.Succeeded)
        {
            TempData["Notice"] = "MyDocuments.Notice.Replaced";
            return RedirectToPage("Documents");
        }
        if (upload.Problem == UploadProblem.TooMany)
        {
            ModelState.AddModelError(nameof(Documents), l["MyDocuments.OneFile"]);
        }
        else
        {
            DocumentsModel.AddErrors(ModelState, nameof(Documents), upload, l, Limits);
        }
        if (upload.Problem == UploadProblem.Verified)
        {
            Response.StatusCode = StatusCodes.Status409Conflict;
        }
        Document = await documents.FindAsync(account, id, cancellationToken);
        return Document is null ? NotFound() : Page();
    }
}

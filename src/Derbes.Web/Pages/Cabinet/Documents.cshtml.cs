using System.Security.Claims;
using Derbes.Web.Documents;
using Derbes.Web.Pages.Account;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// The customer's documents (policy 1.6): each with its type, cleaned name, size, upload time and the review's
/// result in words (a refusal with its reason and the reviewer's note, as the email told it); and another document,
/// checked exactly as at registration, which then awaits review like any new one.
/// </summary>
[EnableRateLimiting(RateLimits.Accounts)]
[RequestSizeLimit(RegisterModel.MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = RegisterModel.MaxFileSectionBytes)]
public sealed class DocumentsModel(CustomerDocuments documents, IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty]
    public List<IFormFile> Documents { get; set; } = [];

    public List<OwnDocument> List { get; private set; } = [];

    public DocumentOptions Limits => documents.Limits;

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        List = await documents.ListAsync(AccountId(User), cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var id = AccountId(User);
        var upload = await documents.UploadAsync(id, Documents, replacing: null, cancellationToken);
        if (upload.Succeeded)
        {
            TempData["Notice"] = "MyDocuments.Notice.Uploaded";
            return RedirectToPage();
        }
        AddErrors(ModelState, nameof(Documents), upload, l, Limits);
        List = await documents.ListAsync(id, cancellationToken);
        return Page();
    }

    internal static Guid AccountId(ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!);

    /// <summary>Why an upload was refused, in the customer's language, beside the file field.</summary>
    internal static void AddErrors(ModelStateDictionary state, string field, DocumentUpload upload, IStringLocalizer l, DocumentOptions limits)
    {
        var megabytes = limits.MaxFileBytes / (1024 * 1024);
        switch (upload.Problem)
        {
            case UploadProblem.NoFile:
                state.AddModelError(field, l["MyDocuments.FileRequired"]);
                break;
            case UploadProblem.TooMany:
                state.AddModelError(field, l["Documents.TooMany", limits.MaxFiles]);
                break;
            case UploadProblem.TooManyHeld:
                state.AddModelError(field, l["MyDocuments.TooManyHeld", limits.MaxFiles]);
                break;
            case UploadProblem.Verified:
                state.AddModelError(field, l["MyDocuments.NowVerified"]);
                break;
            default:
                foreach (var (name, rejection) in upload.Refusals)
                {
                    state.AddModelError(field, l["Documents.Rejected." + rejection, name, megabytes]);
                }
                break;
        }
    }
}

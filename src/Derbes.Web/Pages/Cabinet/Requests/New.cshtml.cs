using System.Security.Claims;
using Derbes.Web.Documents;
using Derbes.Web.Pages.Account;
using Derbes.Web.Requests;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Cabinet.Requests;

/// <summary>
/// A new request (Art. 24) or complaint (policy 5.2): the customer chooses the kind, each explained in plain words
/// with its term, writes what they ask for and, for a rectification, may attach the supporting document. Filed, it
/// gets a number and a due date, and an acknowledgement email. A refused text or file stores nothing.
/// </summary>
[RequestSizeLimit(MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = RegisterModel.MaxFileSectionBytes)]
public sealed class NewModel(CustomerRequests requests, IOptions<DocumentOptions> documentOptions, IStringLocalizer<SharedResource> l) : PageModel
{
    /// <summary>One file of 10 MB and the form around it (the text's limit is far below the rest).</summary>
    public const long MaxRequestBytes = 11 * 1024 * 1024;

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty]
    public IFormFile? Document { get; set; }

    public CustomerRequests Requests => requests;

    public long MaxFileMegabytes => documentOptions.Value.MaxFileBytes / (1024 * 1024);

    public sealed class InputModel
    {
        public RequestKind? Kind { get; set; }
        public string? Text { get; set; }
    }

    public void OnGet(RequestKind? kind)
    {
        Input.Kind = kind is { } k && CustomerRequests.CustomerKinds.Contains(k) ? k : null;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (Input.Kind is not { } kind || !CustomerRequests.CustomerKinds.Contains(kind))
        {
            // One message, whether nothing was chosen or a value that is no kind was sent.
            ModelState.Remove("Input.Kind");
            ModelState.AddModelError("Input.Kind", l["Requests.KindRequired"]);
            return Page();
        }
        RequestUpload? upload = null;
        if (Document is { } file && (file.Length > 0 || !string.IsNullOrEmpty(file.FileName)))
        {
            var name = DocumentFileName.Clean(file.FileName);
            if (file.Length > documentOptions.Value.MaxFileBytes)
            {
                ModelState.AddModelError(nameof(Document), l["Documents.Rejected." + DocumentRejection.TooLarge, name, MaxFileMegabytes]);
                return Page();
            }
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            upload = new RequestUpload(file.FileName, buffer.ToArray());
        }

        var result = await requests.FileAsync(Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!), kind, Input.Text, upload, RequestChannel.Cabinet, cancellationToken);
        switch (result.Refusal)
        {
            case FilingRefusal.None:
                TempData["Notice"] = "Requests.Filed";
                return RedirectToPage("Detail", new { id = result.Request!.Id });
            case FilingRefusal.NotACustomer:
                return Forbid();
            case FilingRefusal.TextMissing:
                ModelState.AddModelError("Input.Text", l["Validation.Required"]);
                break;
            case FilingRefusal.TextTooLong:
                ModelState.AddModelError("Input.Text", l["Requests.TextTooLong", requests.MaxTextLength]);
                break;
            case FilingRefusal.TextNotAllowed:
                ModelState.AddModelError("Input.Text", l["Validation.NoControlCharacters"]);
                break;
            case FilingRefusal.DocumentNotForThisKind:
                ModelState.AddModelError(nameof(Document), l["Requests.DocumentOnlyForRectification"]);
                break;
            case FilingRefusal.DocumentRejected:
                ModelState.AddModelError(nameof(Document), l["Documents.Rejected." + result.Document, DocumentFileName.Clean(Document?.FileName), MaxFileMegabytes]);
                break;
        }
        return Page();
    }
}

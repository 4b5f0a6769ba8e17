using System.Security.Claims;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Documents;

/// <summary>
/// One document under review (Support): an image, or a PDF's scanned pages, is shown with the reviewer's name written across it; any
/// file can be downloaded as an attachment; both are audited. Verify, or reject with a reason and a note.
/// </summary>
[Authorize(Roles = StaffRoles.Support)]
public sealed class ReviewModel(DocumentReview review, AccountDirectory directory, UserManager<Derbes.Web.Customers.Account> users, TimeProvider clock, IStringLocalizer<SharedResource> l) : PageModel
{
    public CustomerDocument? Document { get; private set; }

    [BindProperty]
    public string? Decision { get; set; }

    [BindProperty]
    public RejectionReason? Reason { get; set; }

    [BindProperty]
    public string? Note { get; set; }

    public bool IsImage => Document?.ContentType.StartsWith("image/", StringComparison.Ordinal) == true;
    public bool IsPdf => Document?.ContentType == "application/pdf";

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        Document = await review.FindAsync(id, cancellationToken);
        return Document is null ? NotFound() : Page();
    }

    /// <summary>The image with the watermark, never the original bytes, and never cached.</summary>
    public async Task<IActionResult> OnGetViewAsync(Guid id, CancellationToken cancellationToken)
    {
        var opened = await review.OpenAsync(id, "viewed", cancellationToken);
        if (opened is null)
        {
            return NotFound();
        }
        var (document, bytes) = opened.Value;
        var watermark = await WatermarkTextAsync();
        var view = document.ContentType == "application/pdf"
            ? DocumentReview.RenderScannedPages(bytes, watermark)
            : DocumentReview.Watermark(bytes, watermark);
        if (view is null)
        {
            return NotFound();
        }
        Response.Headers.CacheControl = "no-store";
        return File(view, "image/png");
    }

    /// <summary>The file itself, as an attachment under a neutral name: the browser never renders it in the site's origin.</summary>
    public async Task<IActionResult> OnGetDownloadAsync(Guid id, CancellationToken cancellationToken)
    {
        var opened = await review.OpenAsync(id, "downloaded", cancellationToken);
        if (opened is null)
        {
            return NotFound();
        }
        Response.Headers.CacheControl = "no-store";
        Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        var extension = opened.Value.Document.ContentType switch
        {
            "application/pdf" => ".pdf",
            "image/png" => ".png",
            _ => ".jpg",
        };
        return File(opened.Value.Bytes, opened.Value.Document.ContentType, "document-" + id.ToString("N")[..8] + extension);
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        Document = await review.FindAsync(id, cancellationToken);
        if (Document is null)
        {
            return NotFound();
        }
        var verify = Decision == "verify";
        if (!verify && Decision != "reject")
        {
            ModelState.AddModelError(nameof(Decision), l["Review.DecisionRequired"]);
        }
        if (Decision == "reject" && (Reason is null || !Enum.IsDefined(Reason.Value)))
        {
            ModelState.AddModelError(nameof(Reason), l["Review.ReasonRequired"]);
        }
        if (Note is { Length: > 500 })
        {
            ModelState.AddModelError(nameof(Note), l["Validation.TooLong"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var outcome = await review.DecideAsync(id, verify, Reason, Note, cancellationToken);
        if (outcome == ReviewOutcome.AlreadyDecided)
        {
            TempData["Notice"] = "Review.AlreadyDecided";
            return RedirectToPage("/Admin/Documents/Index");
        }
        TempData["Notice"] = verify ? "Review.Verified" : "Review.Rejected";
        return RedirectToPage("/Admin/Documents/Index");
    }

    private async Task<string> WatermarkTextAsync()
    {
        var staff = await users.GetUserAsync(User);
        var name = User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        if (staff is not null)
        {
            var profile = directory.Open(staff);
            name = profile.FirstName + " " + profile.LastName;
        }
        return $"{name} · {clock.GetUtcNow().ToAlmaty():dd.MM.yyyy HH:mm} · SMALL";
    }
}

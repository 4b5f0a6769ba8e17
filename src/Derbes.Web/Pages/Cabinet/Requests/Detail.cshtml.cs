using System.Security.Claims;
using Derbes.Web.Requests;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Cabinet.Requests;

/// <summary>
/// One of the customer's requests: status, due date, what they wrote, the file they sent, and the answer once there
/// is one, with the steps staff took that concern them (a question to answer here, a new due date and why, a new
/// kind). Another customer's number is "not found", exactly like a number that does not exist.
/// </summary>
public sealed class DetailModel(CustomerRequests requests, IStringLocalizer<SharedResource> l) : PageModel
{
    public RequestView View { get; private set; } = null!;

    [BindProperty]
    public string? Reply { get; set; }

    public int MaxTextLength => requests.MaxTextLength;

    /// <summary>The customer answers staff's question; the request goes back to staff.</summary>
    public async Task<IActionResult> OnPostReplyAsync(long id, CancellationToken cancellationToken)
    {
        var result = await requests.ReplyAsync(Me, id, Reply, cancellationToken);
        if (result == ReplyResult.NotFound)
        {
            return NotFound();
        }
        if (result is ReplyResult.Done or ReplyResult.NotAwaiting)
        {
            TempData["Notice"] = result == ReplyResult.Done ? "Requests.ReplySent" : "Requests.ReplyNotAwaited";
            return RedirectToPage(new { id });
        }
        ModelState.AddModelError(nameof(Reply), result == ReplyResult.TextTooLong ? l["Requests.TextTooLong", requests.MaxTextLength] : l["Validation.Required"]);
        return await OnGetAsync(id, cancellationToken);
    }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        var view = await requests.FindOwnAsync(Me, id, cancellationToken);
        if (view is null)
        {
            return NotFound();
        }
        View = view;
        return Page();
    }

    /// <summary>The customer's own file, as a download (never shown inline: it is their document, not a page of the site).</summary>
    public async Task<IActionResult> OnGetFileAsync(long id, long fileId, CancellationToken cancellationToken)
    {
        var opened = await requests.OpenFileAsync(Me, id, fileId, cancellationToken);
        if (opened is not { } file)
        {
            return NotFound();
        }
        return File(file.Bytes, file.File.ContentType, file.File.Name);
    }

    private Guid Me => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
}

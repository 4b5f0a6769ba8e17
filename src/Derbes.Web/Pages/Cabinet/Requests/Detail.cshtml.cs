using System.Security.Claims;
using Derbes.Web.Requests;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Cabinet.Requests;

/// <summary>
/// One of the customer's requests: status, due date, what they wrote, the file they sent, and the answer once there
/// is one. Another customer's number is "not found", exactly like a number that does not exist.
/// </summary>
public sealed class DetailModel(CustomerRequests requests) : PageModel
{
    public RequestView View { get; private set; } = null!;

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
        Response.Headers.CacheControl = "no-store";
        return File(file.Bytes, file.File.ContentType, file.File.Name);
    }

    private Guid Me => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
}

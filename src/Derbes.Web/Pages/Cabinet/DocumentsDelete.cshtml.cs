using Derbes.Web.Documents;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// Deleting a document that is not verified, after a confirmation: its file leaves the store and its record the
/// database. A verified document stays, with the reason why and where to ask for its destruction.
/// </summary>
public sealed class DocumentsDeleteModel(CustomerDocuments documents) : PageModel
{
    public OwnDocument? Document { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        Document = await documents.FindAsync(DocumentsModel.AccountId(User), id, cancellationToken);
        return Document is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        var account = DocumentsModel.AccountId(User);
        switch (await documents.DeleteAsync(account, id, cancellationToken))
        {
            case DeleteOutcome.Deleted:
                TempData["Notice"] = "MyDocuments.Notice.Deleted";
                return RedirectToPage("Documents");
            case DeleteOutcome.Verified:
                // Verified in the meantime: the page now says why it stays.
                Document = await documents.FindAsync(account, id, cancellationToken);
                Response.StatusCode = StatusCodes.Status409Conflict;
                return Document is null ? NotFound() : Page();
            default:
                return NotFound();
        }
    }
}

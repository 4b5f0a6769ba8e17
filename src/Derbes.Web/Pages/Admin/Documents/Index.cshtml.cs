using Derbes.Web.Documents;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Documents;

/// <summary>Documents awaiting review, oldest first, with the time each is due (Support).</summary>
[Authorize(Roles = StaffRoles.Support)]
public sealed class IndexModel(DocumentReview review, TimeProvider clock) : PageModel
{
    public List<QueuedDocument> Queue { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Now = clock.GetUtcNow();
        Queue = await review.QueueAsync(cancellationToken);
    }
}

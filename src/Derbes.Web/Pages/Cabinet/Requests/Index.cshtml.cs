using System.Security.Claims;
using Derbes.Web.Requests;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Cabinet.Requests;

/// <summary>The customer's requests and complaints, newest first: number, kind, received, due date and status.</summary>
public sealed class IndexModel(CustomerRequests requests) : PageModel
{
    public List<RequestSummary> Requests { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Requests = await requests.ListOwnAsync(Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!), cancellationToken);
}

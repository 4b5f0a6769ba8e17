using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Customers;

/// <summary>Find a customer by exact email, phone (any typed form) or customer number; results are masked.</summary>
[Authorize(Roles = StaffRoles.Support + "," + StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(CustomerRecords records) : PageModel
{
    // A POST, so that what was searched for (an email, a phone) stays out of URLs, logs and browser history.
    [BindProperty]
    public string? Query { get; set; }

    public List<CustomerHit>? Hits { get; private set; }

    public void OnGet()
    {
    }

    public async Task OnPostAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(Query))
        {
            Query = Query.Length > 254 ? Query[..254] : Query;
            Hits = await records.SearchAsync(Query, cancellationToken);
        }
    }
}

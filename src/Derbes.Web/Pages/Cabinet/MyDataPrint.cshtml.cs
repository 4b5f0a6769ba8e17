using System.Security.Claims;
using Derbes.Web.Customers;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>The printable "My data" document (print it, or save it as PDF from the browser's print dialog).</summary>
public sealed class MyDataPrintModel(PersonalDataExport export) : PageModel
{
    public PersonalDataReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Report = await export.ReportAsync(Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!), "print", cancellationToken);
    }
}

using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// "My data" (Art. 24 p.1 sub.1): everything held about the customer, on the page, as a JSON file, and as a printable
/// document. Each is made on the spot from the database, for the signed-in customer only, and audited.
/// </summary>
public sealed class MyDataModel(PersonalDataExport export) : PageModel
{
    public PersonalDataReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Report = await export.ReportAsync(Me, "page", cancellationToken);

    public async Task<IActionResult> OnGetJsonAsync(CancellationToken cancellationToken)
    {
        var report = await export.ReportAsync(Me, "json", cancellationToken);
        var day = report.GeneratedAt.ToAlmaty().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return File(PersonalDataExport.ToJson(report), "application/json; charset=utf-8", $"small-my-data-{report.Profile.CustomerNumber}-{day}.json");
    }

    private Guid Me => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
}

using Derbes.Web.Requests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Admin.Requests;

/// <summary>
/// The requests and complaints desk: open ones by due date with their urgency (overdue, due today, due within three
/// working days), or the answered and closed ones; by kind, or only those assigned to me. No customer's name,
/// email or phone is listed, only the customer number.
/// </summary>
[Authorize(Roles = RequestDesk.Roles)]
public sealed class IndexModel(RequestDesk desk) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public bool Done { get; set; }

    [BindProperty(SupportsGet = true)]
    public RequestKind? Kind { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool Mine { get; set; }

    public List<DeskRow> Rows { get; private set; } = [];

    public int Count(RequestUrgency urgency) => Rows.Count(r => r.Urgency == urgency);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Kind = Kind is { } k && Enum.IsDefined(k) ? k : null;
        Rows = await desk.ListAsync(!Done, Kind, Mine, cancellationToken);
    }
}

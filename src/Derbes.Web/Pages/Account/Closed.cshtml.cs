using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages.Account;

/// <summary>Shown once the account is closing and the customer signed out: when the data goes, and how to undo it.</summary>
public sealed class ClosedModel : PageModel
{
    [TempData]
    public int? ClosedUntil { get; set; }

    public DateOnly? DestroyedFrom { get; private set; }

    public IActionResult OnGet()
    {
        DestroyedFrom = ClosedUntil is > 0 and < 3_652_059 ? DateOnly.FromDayNumber(ClosedUntil.Value) : null;
        return Page();
    }
}

using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Calendar;

/// <summary>
/// The working-day calendar of a year, as the due dates of customers' requests count it: holidays, substitute days
/// off, Kurban Ait and the transfers, each with its reason. The PrivacyOfficer enters the dated facts the rules
/// cannot compute (the date of Kurban Ait, the Minister of Labour's transfer order) and removes a wrong one; every
/// change is audited and takes effect on this instance at once, on the others within a minute.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class IndexModel(
    DerbesDb db,
    WorkingCalendarProvider calendars,
    AuditTrail audit,
    StaffNames staffNames,
    TimeProvider clock,
    IStringLocalizer<SharedResource> l) : PageModel
{
    public const int FirstYear = 2000;
    public const int LastYear = 2100;

    [BindProperty(SupportsGet = true)]
    public int? Year { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public int Shown { get; private set; }
    public IReadOnlyList<CalendarDay> Days { get; private set; } = [];
    public int WeekdaysOff { get; private set; }
    public Dictionary<string, string> Names { get; private set; } = [];

    public sealed class InputModel
    {
        public DateOnly? Date { get; set; }
        public CalendarFactKind? Kind { get; set; }
        public string? Note { get; set; }
    }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken)
    {
        var note = (Input.Note ?? "").Trim();
        if (Input.Date is not { } date || date.Year < FirstYear || date.Year > LastYear)
        {
            ModelState.AddModelError("Input.Date", l["Calendar.DateRequired", FirstYear, LastYear]);
        }
        if (Input.Kind is not { } kind || !Enum.IsDefined(kind))
        {
            ModelState.AddModelError("Input.Kind", l["Validation.Required"]);
        }
        if (note.Length == 0)
        {
            ModelState.AddModelError("Input.Note", l["Validation.Required"]);
        }
        else if (note.Length > CalendarFact.MaxNote)
        {
            ModelState.AddModelError("Input.Note", l["Validation.TooLong"]);
        }
        else if (note.Any(char.IsControl))
        {
            ModelState.AddModelError("Input.Note", l["Validation.NoControlCharacters"]);
        }
        if (ModelState.IsValid && await db.CalendarFacts.AnyAsync(f => f.Date == Input.Date, cancellationToken))
        {
            ModelState.AddModelError("Input.Date", l["Calendar.DateTaken"]);
        }
        if (!ModelState.IsValid)
        {
            Year ??= Input.Date?.Year;
            await LoadAsync(cancellationToken);
            return Page();
        }

        var fact = new CalendarFact { Date = Input.Date!.Value, Kind = Input.Kind!.Value, Note = note, ChangedBy = Me, ChangedAt = clock.GetUtcNow() };
        db.CalendarFacts.Add(fact);
        audit.Record("calendar.changed", Subject(fact.Date), outcome: "added:" + fact.Kind);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another officer entered a fact for the same date a moment earlier (the unique index): nothing was saved.
            db.ChangeTracker.Clear();
            ModelState.AddModelError("Input.Date", l["Calendar.DateTaken"]);
            Year = fact.Date.Year;
            await LoadAsync(cancellationToken);
            return Page();
        }
        calendars.Invalidate();
        TempData["Notice"] = "Calendar.Added";
        return RedirectToPage(new { year = fact.Date.Year });
    }

    public async Task<IActionResult> OnPostRemoveAsync(long id, CancellationToken cancellationToken)
    {
        var fact = await db.CalendarFacts.SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (fact is null)
        {
            // Already removed (by another officer, or a second click): the year shows what is left.
            return RedirectToPage(new { year = Year });
        }
        db.CalendarFacts.Remove(fact);
        audit.Record("calendar.changed", Subject(fact.Date), outcome: "removed:" + fact.Kind);
        await db.SaveChangesAsync(cancellationToken);
        calendars.Invalidate();
        TempData["Notice"] = "Calendar.Removed";
        return RedirectToPage(new { year = fact.Date.Year });
    }

    private static string Subject(DateOnly date) => "calendar:" + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private Guid? Me => Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Shown = Year is { } y && y >= FirstYear && y <= LastYear ? y : WorkingCalendar.AlmatyDate(clock.GetUtcNow()).Year;
        // Read from the table itself, not the provider's kept copy: the officer sees what is stored now.
        var calendar = new WorkingCalendar(await db.CalendarFacts.AsNoTracking().ToListAsync(cancellationToken));
        Days = calendar.Year(Shown);
        WeekdaysOff = calendar.WeekdaysOff(Shown).Count();
        Names = await staffNames.ForAsync(Days.Select(d => d.Fact?.ChangedBy).OfType<Guid>(), cancellationToken);
    }
}

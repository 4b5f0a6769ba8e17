using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Calendar;

/// <summary>
/// On a database without calendar facts, records the known ones for 2024–2027 (KZ-RULES "Working days"): the
/// date of Kurban Ait and the Minister of Labour's transfers. Later years, and corrections, are entered by the
/// PrivacyOfficer at /admin/calendar. Only an empty table is seeded, so a fact the officer removed stays removed.
/// </summary>
public static class CalendarSeed
{
    public static IReadOnlyList<(DateOnly Date, CalendarFactKind Kind, string Note)> Known { get; } =
    [
        (new DateOnly(2024, 5, 4), CalendarFactKind.WorkingDay, "Transfer 2024: Sat 4 May is worked for Wed 8 May"),
        (new DateOnly(2024, 5, 8), CalendarFactKind.DayOff, "Transfer 2024: Wed 8 May is off for Sat 4 May"),
        (new DateOnly(2024, 6, 16), CalendarFactKind.KurbanAit, "Kurban Ait 2024 (a Sunday, not moved)"),
        (new DateOnly(2025, 1, 3), CalendarFactKind.DayOff, "Transfer 2025: Fri 3 Jan is off for Sun 5 Jan"),
        (new DateOnly(2025, 1, 5), CalendarFactKind.WorkingDay, "Transfer 2025: Sun 5 Jan is worked for Fri 3 Jan"),
        (new DateOnly(2025, 6, 6), CalendarFactKind.KurbanAit, "Kurban Ait 2025"),
        (new DateOnly(2026, 5, 27), CalendarFactKind.KurbanAit, "Kurban Ait 2026"),
        // Expected from the lunar calendar; the Spiritual Administration announces the date: confirm and correct here.
        (new DateOnly(2027, 5, 16), CalendarFactKind.KurbanAit, "Kurban Ait 2027 (expected, a Sunday: to confirm)"),
    ];

    public static async Task SeedAsync(DerbesDb db, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(clock);
        if (await db.CalendarFacts.AnyAsync(cancellationToken))
        {
            return;
        }
        var now = clock.GetUtcNow();
        db.CalendarFacts.AddRange(Known.Select(k => new CalendarFact { Date = k.Date, Kind = k.Kind, Note = k.Note, ChangedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
    }
}

namespace Derbes.Web.Calendar;

/// <summary>What a dated fact of the calendar says about its day.</summary>
public enum CalendarFactKind
{
    /// <summary>A day that is off by the Minister of Labour's transfer order (2024: Wed 8 May).</summary>
    DayOff = 0,

    /// <summary>A day that is worked by a transfer order (2025: Sun 5 Jan), or a holiday of the rules that is not off after all.</summary>
    WorkingDay = 1,

    /// <summary>The first day of Kurban Ait: set each year, a day off, never moved to a weekday when it falls on a weekend.</summary>
    KurbanAit = 2,
}

/// <summary>
/// A dated fact the rules cannot compute (KZ-RULES "Working days"): a transfer of the Minister of Labour, or the
/// date of Kurban Ait. Kept in a table that the PrivacyOfficer maintains at /admin/calendar; one fact per date,
/// and a fact wins over the rules for its date. Who entered it and when are kept (the seed has no person).
/// </summary>
public sealed class CalendarFact
{
    public const int MaxNote = 200;

    public long Id { get; set; }
    public DateOnly Date { get; set; }
    public CalendarFactKind Kind { get; set; }

    /// <summary>Where the fact comes from, e.g. the order's number and date.</summary>
    public string Note { get; set; } = "";

    /// <summary>The member of staff who entered it; null for the facts seeded at first start.</summary>
    public Guid? ChangedBy { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
}

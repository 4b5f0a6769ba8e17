using System.Collections.Concurrent;

namespace Derbes.Web.Calendar;

/// <summary>The public holidays of Kazakhstan that are days off (KZ-RULES "Working days").</summary>
public enum Holiday
{
    NewYear = 0,
    OrthodoxChristmas = 1,
    WomensDay = 2,
    Nauryz = 3,
    UnityDay = 4,
    DefenderDay = 5,
    VictoryDay = 6,
    CapitalDay = 7,
    ConstitutionDay = 8,
    RepublicDay = 9,
    IndependenceDay = 10,
    KurbanAit = 11,
}

/// <summary>Why a day differs from a plain Monday–Friday week.</summary>
public enum CalendarDayKind
{
    /// <summary>A public holiday on a weekday: off.</summary>
    Holiday = 0,

    /// <summary>A public holiday on a Saturday or Sunday: its substitute (if it has one) is the next working day.</summary>
    HolidayOnWeekend = 1,

    /// <summary>Off in place of a holiday that fell on a weekend.</summary>
    SubstituteDayOff = 2,

    /// <summary>The first day of Kurban Ait (a dated fact): off, never moved.</summary>
    KurbanAit = 3,

    /// <summary>Off by a transfer order (a dated fact).</summary>
    TransferDayOff = 4,

    /// <summary>Worked by a transfer order, or a rule's day off that a fact makes a working day.</summary>
    TransferWorkingDay = 5,
}

/// <summary>One day that is not an ordinary day of the week, and why. <see cref="Fact"/> is set when a dated fact decides it.</summary>
public sealed record CalendarDay(DateOnly Date, CalendarDayKind Kind, Holiday? Holiday, DateOnly? SubstituteFor, CalendarFact? Fact)
{
    public bool IsWorkingDay => Kind == CalendarDayKind.TransferWorkingDay;
}

/// <summary>
/// The Kazakhstan working-day calendar (KZ-RULES "Working days"; Labour Code; the law on holidays). The rules are
/// code: Monday–Friday weeks, the fixed public holidays, and the substitute day off when a holiday falls on a
/// weekend (the next working day after it), except 7 January and the first day of Kurban Ait, which are never
/// moved. What cannot be computed comes as dated facts (<see cref="CalendarFact"/>): the date of Kurban Ait and the
/// Minister of Labour's yearly transfers. A fact wins over the rules for its date, so the PrivacyOfficer can also
/// correct a rule that changed (the Constitution Day change is still "to confirm").
/// </summary>
/// <remarks>Immutable once built; each year's table is worked out on first use and kept. Safe to share.</remarks>
public sealed class WorkingCalendar
{
    /// <summary>All of Kazakhstan is UTC+5 since 1 March 2024 (Asia/Almaty with tzdata 2024a or newer).</summary>
    public static readonly TimeSpan AlmatyOffset = TimeSpan.FromHours(5);

    private readonly Dictionary<DateOnly, CalendarFact> _facts;
    private readonly ConcurrentDictionary<int, IReadOnlyDictionary<DateOnly, CalendarDay>> _years = new();

    public WorkingCalendar(IEnumerable<CalendarFact> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        // One fact per date (the table's unique index); should two arrive anyway, the latest entered wins.
        _facts = facts.OrderBy(f => f.ChangedAt).ThenBy(f => f.Id).GroupBy(f => f.Date).ToDictionary(g => g.Key, g => g.Last());
    }

    /// <summary>The calendar date in Kazakhstan of an instant (times are stored in UTC).</summary>
    public static DateOnly AlmatyDate(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(AlmatyOffset).DateTime);

    /// <summary>
    /// The fixed public holidays of <paramref name="year"/> that are days off. Constitution Day: 30 August up to
    /// 2025; the Constitution adopted on 15 March 2026 makes 15 March Constitution Day from 2027, and 30 August 2026
    /// is no longer a day off (KZ-RULES: to confirm the formal amendment; a fact corrects it if it reads otherwise).
    /// </summary>
    public static IEnumerable<(DateOnly Date, Holiday Holiday)> PublicHolidays(int year)
    {
        yield return (new DateOnly(year, 1, 1), Holiday.NewYear);
        yield return (new DateOnly(year, 1, 2), Holiday.NewYear);
        yield return (new DateOnly(year, 1, 7), Holiday.OrthodoxChristmas);
        yield return (new DateOnly(year, 3, 8), Holiday.WomensDay);
        if (year >= 2027)
        {
            yield return (new DateOnly(year, 3, 15), Holiday.ConstitutionDay);
        }
        yield return (new DateOnly(year, 3, 21), Holiday.Nauryz);
        yield return (new DateOnly(year, 3, 22), Holiday.Nauryz);
        yield return (new DateOnly(year, 3, 23), Holiday.Nauryz);
        yield return (new DateOnly(year, 5, 1), Holiday.UnityDay);
        yield return (new DateOnly(year, 5, 7), Holiday.DefenderDay);
        yield return (new DateOnly(year, 5, 9), Holiday.VictoryDay);
        yield return (new DateOnly(year, 7, 6), Holiday.CapitalDay);
        if (year <= 2025)
        {
            yield return (new DateOnly(year, 8, 30), Holiday.ConstitutionDay);
        }
        yield return (new DateOnly(year, 10, 25), Holiday.RepublicDay);
        yield return (new DateOnly(year, 12, 16), Holiday.IndependenceDay);
    }

    /// <summary>7 January and the first day of Kurban Ait are days off but are never moved (KZ-RULES "Working days").</summary>
    public static bool NeverMoved(Holiday holiday) => holiday is Holiday.OrthodoxChristmas or Holiday.KurbanAit;

    public static bool IsWeekend(DateOnly date) => date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    public bool IsWorkingDay(DateOnly date) => Day(date) is { } day ? day.IsWorkingDay : !IsWeekend(date);

    /// <summary>Why <paramref name="date"/> is not an ordinary day of the week, or null when it is one.</summary>
    public CalendarDay? Day(DateOnly date) => YearTable(date.Year).GetValueOrDefault(date);

    /// <summary>
    /// The due date of a term of <paramref name="workingDays"/> working days for something received on
    /// <paramref name="receivedOn"/>: counting starts the next day, and the due date is the n-th working day, so it
    /// never falls on a day off.
    /// </summary>
    public DateOnly AddWorkingDays(DateOnly receivedOn, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workingDays, 1);
        var date = receivedOn;
        for (var counted = 0; counted < workingDays;)
        {
            date = date.AddDays(1);
            if (IsWorkingDay(date))
            {
                counted++;
            }
        }
        return date;
    }

    /// <summary>
    /// Every day of <paramref name="year"/> that is not an ordinary day of the week, in date order: holidays (also
    /// those on a weekend), substitute days off, Kurban Ait and the transfers, each with its reason.
    /// </summary>
    public IReadOnlyList<CalendarDay> Year(int year) => [.. YearTable(year).Values.OrderBy(d => d.Date)];

    /// <summary>The weekdays of <paramref name="year"/> that are off (what a customer would call "the holidays").</summary>
    public IEnumerable<DateOnly> WeekdaysOff(int year) =>
        Year(year).Where(d => !d.IsWorkingDay && !IsWeekend(d.Date)).Select(d => d.Date);

    private IReadOnlyDictionary<DateOnly, CalendarDay> YearTable(int year) => _years.GetOrAdd(year, Build);

    private Dictionary<DateOnly, CalendarDay> Build(int year)
    {
        var days = new Dictionary<DateOnly, CalendarDay>();
        var facts = _facts.Values.Where(f => f.Date.Year == year).ToList();
        foreach (var (date, holiday) in PublicHolidays(year))
        {
            days[date] = new CalendarDay(date, IsWeekend(date) ? CalendarDayKind.HolidayOnWeekend : CalendarDayKind.Holiday, holiday, null, null);
        }
        foreach (var fact in facts.Where(f => f.Kind == CalendarFactKind.KurbanAit))
        {
            days[fact.Date] = new CalendarDay(fact.Date, CalendarDayKind.KurbanAit, Holiday.KurbanAit, null, fact);
        }

        // A holiday on a Saturday or Sunday gives the next working day after it off; several such holidays in a row
        // (Nauryz 2026: Sat 21, Sun 22) give one substitute each, one after the other (Tue 24, Wed 25). A holiday
        // that a fact makes a working day gives none.
        var weekendHolidays = days.Values
            .Where(d => d.Kind == CalendarDayKind.HolidayOnWeekend && !NeverMoved(d.Holiday!.Value)
                && _facts.GetValueOrDefault(d.Date)?.Kind != CalendarFactKind.WorkingDay)
            .OrderBy(d => d.Date)
            .ToList();
        foreach (var holiday in weekendHolidays)
        {
            var substitute = holiday.Date.AddDays(1);
            while (IsWeekend(substitute) || days.ContainsKey(substitute) || _facts.GetValueOrDefault(substitute)?.Kind == CalendarFactKind.DayOff)
            {
                substitute = substitute.AddDays(1);
            }
            days[substitute] = new CalendarDay(substitute, CalendarDayKind.SubstituteDayOff, holiday.Holiday, holiday.Date, null);
        }

        // The transfers last: a fact decides its own date whatever the rules say.
        foreach (var fact in facts.Where(f => f.Kind != CalendarFactKind.KurbanAit))
        {
            var ruled = days.GetValueOrDefault(fact.Date);
            days[fact.Date] = fact.Kind == CalendarFactKind.DayOff
                ? new CalendarDay(fact.Date, CalendarDayKind.TransferDayOff, ruled?.Holiday, ruled?.SubstituteFor, fact)
                : new CalendarDay(fact.Date, CalendarDayKind.TransferWorkingDay, ruled?.Holiday, ruled?.SubstituteFor, fact);
        }
        return days;
    }
}

using Derbes.Web.Calendar;

namespace Derbes.Tests.Calendar;

/// <summary>
/// The Kazakhstan working-day calendar (KZ-RULES "Working days"), built as the site builds it: the rules in code and
/// the facts seeded at first start.
/// </summary>
public sealed class WorkingCalendarTests
{
    private static readonly WorkingCalendar Seeded = new(CalendarSeed.Known.Select((k, i) => new CalendarFact { Id = i + 1, Date = k.Date, Kind = k.Kind, Note = k.Note }));

    private static DateOnly D(int year, int month, int day) => new(year, month, day);

    private static List<DateOnly> Days(int year, params (int Month, int Day)[] days) => [.. days.Select(d => D(year, d.Month, d.Day))];

    [Fact]
    public void TheWeekdaysOffOf2026AreExactlyThoseKzRulesLists()
    {
        // "Known weekday days off, 2026: 1, 2, 7 Jan; 9 Mar; 23, 24, 25 Mar; 1, 7, 11 May; 27 May; 6 Jul; 26 Oct; 16 Dec."
        var expected = Days(2026, (1, 1), (1, 2), (1, 7), (3, 9), (3, 23), (3, 24), (3, 25), (5, 1), (5, 7), (5, 11), (5, 27), (7, 6), (10, 26), (12, 16));
        Assert.Equal(expected, Seeded.WeekdaysOff(2026).ToList());
        Assert.Equal(expected, EveryWeekdayOff(2026));
    }

    [Fact]
    public void TheWeekdaysOffOf2025FollowTheHolidaysTheSubstitutesAndTheJanuaryTransfer()
    {
        // Holidays on weekdays; 8 Mar (Sat) gives Mon 10 Mar; Nauryz Sat 22 and Sun 23 give Mon 24 and Tue 25;
        // Capital Day (Sun 6 Jul) gives Mon 7 Jul; Constitution Day (Sat 30 Aug, its last year) gives Mon 1 Sep;
        // Republic Day (Sat 25 Oct) gives Mon 27 Oct; the transfer makes Fri 3 Jan off; Kurban Ait is Fri 6 Jun.
        var expected = Days(2025, (1, 1), (1, 2), (1, 3), (1, 7), (3, 10), (3, 21), (3, 24), (3, 25), (5, 1), (5, 7), (5, 9), (6, 6), (7, 7), (9, 1), (10, 27), (12, 16));
        Assert.Equal(expected, Seeded.WeekdaysOff(2025).ToList());
        Assert.Equal(expected, EveryWeekdayOff(2025));
        // Sunday 5 January 2025 was worked in exchange.
        Assert.True(Seeded.IsWorkingDay(D(2025, 1, 5)));
        Assert.Equal(CalendarDayKind.TransferWorkingDay, Seeded.Day(D(2025, 1, 5))!.Kind);
        Assert.False(Seeded.IsWorkingDay(D(2025, 1, 4)));
    }

    [Fact]
    public void AHolidayOnAWeekendGivesTheNextWorkingDayOffAndSeveralInARowGiveOneEach()
    {
        // Women's Day 2026 is a Sunday: Monday 9 March is off in its place.
        Assert.Equal(CalendarDayKind.HolidayOnWeekend, Seeded.Day(D(2026, 3, 8))!.Kind);
        var march9 = Seeded.Day(D(2026, 3, 9))!;
        Assert.Equal(CalendarDayKind.SubstituteDayOff, march9.Kind);
        Assert.Equal(Holiday.WomensDay, march9.Holiday);
        Assert.Equal(D(2026, 3, 8), march9.SubstituteFor);

        // Nauryz 2026: Sat 21, Sun 22, Mon 23; Tue 24 stands in for the 21st, Wed 25 for the 22nd; Thu 26 is worked.
        Assert.Equal(D(2026, 3, 21), Seeded.Day(D(2026, 3, 24))!.SubstituteFor);
        Assert.Equal(D(2026, 3, 22), Seeded.Day(D(2026, 3, 25))!.SubstituteFor);
        Assert.True(Seeded.IsWorkingDay(D(2026, 3, 26)));

        // Victory Day 2026 is a Saturday: Monday 11 May (Sunday is no substitute).
        Assert.Equal(D(2026, 5, 9), Seeded.Day(D(2026, 5, 11))!.SubstituteFor);

        // A substitute skips a holiday: 2 Jan 2027 (Sat) gives Mon 4 Jan; 21 Mar 2027 (Sun) skips Nauryz 22 and 23 for Wed 24.
        Assert.Equal(D(2027, 1, 2), Seeded.Day(D(2027, 1, 4))!.SubstituteFor);
        Assert.Equal(D(2027, 3, 21), Seeded.Day(D(2027, 3, 24))!.SubstituteFor);
        // 1 May 2027 (Sat) gives Mon 3 May; 9 May 2027 (Sun) gives Mon 10 May.
        Assert.Equal(D(2027, 5, 1), Seeded.Day(D(2027, 5, 3))!.SubstituteFor);
        Assert.Equal(D(2027, 5, 9), Seeded.Day(D(2027, 5, 10))!.SubstituteFor);
    }

    [Fact]
    public void SeventhOfJanuaryAndKurbanAitAreNeverMoved()
    {
        // 7 January 2024 was a Sunday: Monday 8 January was worked.
        Assert.Equal(CalendarDayKind.HolidayOnWeekend, Seeded.Day(D(2024, 1, 7))!.Kind);
        Assert.True(Seeded.IsWorkingDay(D(2024, 1, 8)));
        Assert.Null(Seeded.Day(D(2024, 1, 8)));
        // Kurban Ait 2024 was Sunday 16 June: Monday 17 June was worked.
        Assert.Equal(CalendarDayKind.KurbanAit, Seeded.Day(D(2024, 6, 16))!.Kind);
        Assert.True(Seeded.IsWorkingDay(D(2024, 6, 17)));
        // On a weekday it is simply off.
        Assert.False(Seeded.IsWorkingDay(D(2026, 5, 27)));
        Assert.False(Seeded.IsWorkingDay(D(2025, 6, 6)));
        // Neither rule is tied to a year: Kurban Ait on a Saturday, or the 7th on a Sunday, gives no Monday off.
        var calendar = new WorkingCalendar([new CalendarFact { Date = D(2028, 6, 3), Kind = CalendarFactKind.KurbanAit, Note = "test" }]);
        Assert.Equal(DayOfWeek.Saturday, D(2028, 6, 3).DayOfWeek);
        Assert.False(calendar.IsWorkingDay(D(2028, 6, 3)));
        Assert.True(calendar.IsWorkingDay(D(2028, 6, 5)));
        Assert.Equal(DayOfWeek.Sunday, D(2029, 1, 7).DayOfWeek);
        Assert.True(calendar.IsWorkingDay(D(2029, 1, 8)));
    }

    [Fact]
    public void TheTransfersOf2024MadeSaturdayTheFourthWorkedAndWednesdayTheEighthOff()
    {
        Assert.True(Seeded.IsWorkingDay(D(2024, 5, 4)));
        Assert.False(Seeded.IsWorkingDay(D(2024, 5, 8)));
        Assert.Equal(CalendarDayKind.TransferDayOff, Seeded.Day(D(2024, 5, 8))!.Kind);
        // 6 July 2024 was a Saturday: Monday 8 July was off.
        Assert.False(Seeded.IsWorkingDay(D(2024, 7, 8)));
        // Nauryz 2024: Thu 21, Fri 22, Sat 23, so Monday 25 was off.
        Assert.False(Seeded.IsWorkingDay(D(2024, 3, 25)));
    }

    [Fact]
    public void ConstitutionDayIs30AugustUpTo2025NoneIn2026And15MarchFrom2027()
    {
        Assert.Equal(Holiday.ConstitutionDay, Seeded.Day(D(2024, 8, 30))!.Holiday);
        Assert.False(Seeded.IsWorkingDay(D(2024, 8, 30)));
        Assert.Null(Seeded.Day(D(2026, 8, 30)));
        // 30 August 2026 is a Sunday; were it still a holiday, Monday 31 August would be off.
        Assert.True(Seeded.IsWorkingDay(D(2026, 8, 31)));
        Assert.True(Seeded.IsWorkingDay(D(2026, 3, 16)));
        Assert.Equal(Holiday.ConstitutionDay, Seeded.Day(D(2027, 3, 15))!.Holiday);
        Assert.False(Seeded.IsWorkingDay(D(2027, 3, 15)));
        Assert.Null(Seeded.Day(D(2027, 8, 30)));
    }

    [Fact]
    public void AFactDecidesItsDateOverTheRules()
    {
        // Should the 2026 amendment not stand, the officer marks Monday 31 August off; and can make a rule's holiday worked.
        var calendar = new WorkingCalendar(
        [
            new CalendarFact { Id = 1, Date = D(2026, 8, 31), Kind = CalendarFactKind.DayOff, Note = "Constitution Day 2026 kept" },
            new CalendarFact { Id = 2, Date = D(2027, 3, 15), Kind = CalendarFactKind.WorkingDay, Note = "not adopted" },
        ]);
        Assert.False(calendar.IsWorkingDay(D(2026, 8, 31)));
        Assert.True(calendar.IsWorkingDay(D(2027, 3, 15)));
        Assert.Equal(CalendarDayKind.TransferWorkingDay, calendar.Day(D(2027, 3, 15))!.Kind);
        // A fact that makes a weekend holiday worked takes its substitute away: Nauryz 2026's Sat 21 no longer gives Tue 24.
        var worked = new WorkingCalendar([new CalendarFact { Date = D(2026, 3, 21), Kind = CalendarFactKind.WorkingDay, Note = "test" }]);
        Assert.True(worked.IsWorkingDay(D(2026, 3, 21)));
        Assert.False(worked.IsWorkingDay(D(2026, 3, 24)));
        Assert.True(worked.IsWorkingDay(D(2026, 3, 25)));
    }

    [Fact]
    public void ATermStartsTheNextDayAndEndsOnItsNthWorkingDay()
    {
        // Received on Tuesday 3 Nov 2026: one working day is Wednesday 4th; a Friday's is the Monday after.
        Assert.Equal(D(2026, 11, 4), Seeded.AddWorkingDays(D(2026, 11, 3), 1));
        Assert.Equal(D(2026, 11, 9), Seeded.AddWorkingDays(D(2026, 11, 6), 1));
        // Received on a Saturday: Monday is the first working day.
        Assert.Equal(D(2026, 11, 9), Seeded.AddWorkingDays(D(2026, 11, 7), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Seeded.AddWorkingDays(D(2026, 11, 3), 0));
    }

    [Fact]
    public void DueDatesCrossNauryz()
    {
        // Received Friday 20 March 2026: Sat 21 to Wed 25 are off, so the next working day is Thursday 26.
        Assert.Equal(D(2026, 3, 26), Seeded.AddWorkingDays(D(2026, 3, 20), 1));
        Assert.Equal(D(2026, 3, 30), Seeded.AddWorkingDays(D(2026, 3, 20), 3));
        // 15 working days: 26, 27, 30, 31 Mar, 1, 2, 3, 6, 7, 8, 9, 10, 13, 14, 15 Apr.
        Assert.Equal(D(2026, 4, 15), Seeded.AddWorkingDays(D(2026, 3, 20), 15));
        // 30 working days also skip 1 May (Fri) and 7 May (Thu): Friday 8 May.
        Assert.Equal(D(2026, 5, 8), Seeded.AddWorkingDays(D(2026, 3, 20), 30));
    }

    [Fact]
    public void DueDatesCrossNewYear()
    {
        // Received Thursday 31 Dec 2026: 1 Jan (Fri), 2 Jan (Sat, so Mon 4 Jan off), 7 Jan (Thu) are off in 2027.
        Assert.Equal(D(2027, 1, 5), Seeded.AddWorkingDays(D(2026, 12, 31), 1));
        Assert.Equal(D(2027, 1, 8), Seeded.AddWorkingDays(D(2026, 12, 31), 3));
        Assert.Equal(D(2027, 1, 26), Seeded.AddWorkingDays(D(2026, 12, 31), 15));
        Assert.Equal(D(2027, 2, 16), Seeded.AddWorkingDays(D(2026, 12, 31), 30));
        // Received Tuesday 31 Dec 2024: 1, 2 Jan holidays, Fri 3 Jan off by transfer, Sun 5 Jan worked.
        Assert.Equal(D(2025, 1, 5), Seeded.AddWorkingDays(D(2024, 12, 31), 1));
        Assert.Equal(D(2025, 1, 6), Seeded.AddWorkingDays(D(2024, 12, 31), 2));
        Assert.Equal(D(2025, 1, 8), Seeded.AddWorkingDays(D(2024, 12, 31), 3));
    }

    [Fact]
    public void DueDatesCrossATransfer()
    {
        // Received Friday 3 May 2024: Saturday 4 May was worked, Tue 7 (Defender Day), Wed 8 (transfer) and Thu 9 (Victory Day) were off.
        Assert.Equal(D(2024, 5, 4), Seeded.AddWorkingDays(D(2024, 5, 3), 1));
        Assert.Equal(D(2024, 5, 6), Seeded.AddWorkingDays(D(2024, 5, 3), 2));
        Assert.Equal(D(2024, 5, 10), Seeded.AddWorkingDays(D(2024, 5, 3), 3));
    }

    [Fact]
    public void TheDateOfAnInstantIsTakenInAlmaty()
    {
        // 20:30 UTC on 31 December is already 1:30 on 1 January in Kazakhstan.
        Assert.Equal(D(2027, 1, 1), WorkingCalendar.AlmatyDate(new DateTimeOffset(2026, 12, 31, 20, 30, 0, TimeSpan.Zero)));
        Assert.Equal(D(2026, 12, 31), WorkingCalendar.AlmatyDate(new DateTimeOffset(2026, 12, 31, 18, 59, 59, TimeSpan.Zero)));
        Assert.Equal(D(2026, 12, 31), WorkingCalendar.AlmatyDate(new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.FromHours(5))));
    }

    [Fact]
    public void TheYearListGivesEachDayItsReason()
    {
        var year = Seeded.Year(2026);
        Assert.Equal(year.OrderBy(d => d.Date).Select(d => d.Date), year.Select(d => d.Date));
        var kurban = Assert.Single(year, d => d.Kind == CalendarDayKind.KurbanAit);
        Assert.Equal(D(2026, 5, 27), kurban.Date);
        Assert.NotNull(kurban.Fact);
        Assert.Equal(5, year.Count(d => d.Kind == CalendarDayKind.SubstituteDayOff));
        Assert.All(year.Where(d => d.Kind == CalendarDayKind.Holiday), d => Assert.NotNull(d.Holiday));
    }

    /// <summary>Every weekday of the year that <see cref="WorkingCalendar.IsWorkingDay"/> says is off, day by day.</summary>
    private static List<DateOnly> EveryWeekdayOff(int year)
    {
        var days = new List<DateOnly>();
        for (var d = D(year, 1, 1); d.Year == year; d = d.AddDays(1))
        {
            if (!WorkingCalendar.IsWeekend(d) && !Seeded.IsWorkingDay(d))
            {
                days.Add(d);
            }
        }
        return days;
    }
}

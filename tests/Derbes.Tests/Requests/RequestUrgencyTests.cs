using Derbes.Web.Calendar;
using Derbes.Web.Requests;

namespace Derbes.Tests.Requests;

/// <summary>
/// How pressing an open request is (issue 7), on the calendar the site seeds: overdue, due today, due within 3
/// working days (counted on the working-day calendar, so a Friday before a holiday looks past it) or later; and how
/// many working days an overdue one is past its date.
/// </summary>
public sealed class RequestUrgencyTests
{
    private static readonly WorkingCalendar Seeded = new(CalendarSeed.Known.Select((k, i) => new CalendarFact { Id = i + 1, Date = k.Date, Kind = k.Kind, Note = k.Note }));

    private static DateOnly D(int month, int day) => new(2026, month, day);

    [Fact]
    public void PastItsDueDateARequestIsOverdueAndOnItTheDayIsToday()
    {
        Assert.Equal(RequestUrgency.Overdue, RequestUrgencies.Of(D(3, 19), D(3, 20), Seeded));
        // Due on a Friday, seen on the Sunday after: overdue even on a day off.
        Assert.Equal(RequestUrgency.Overdue, RequestUrgencies.Of(D(3, 20), D(3, 22), Seeded));
        Assert.Equal(RequestUrgency.Today, RequestUrgencies.Of(D(3, 20), D(3, 20), Seeded));
    }

    [Fact]
    public void OnTheFridayBeforeNauryzTheNextThreeWorkingDaysReachOverTheHolidays()
    {
        // Fri 20 Mar 2026; Mon 23 (Nauryz), Tue 24 and Wed 25 (substitutes for Sat 21 and Sun 22) are off, so the
        // three working days are Thu 26, Fri 27 and Mon 30.
        var friday = D(3, 20);
        foreach (var due in new[] { D(3, 21), D(3, 23), D(3, 25), D(3, 26), D(3, 27), D(3, 30) })
        {
            Assert.Equal(RequestUrgency.Soon, RequestUrgencies.Of(due, friday, Seeded));
        }
        Assert.Equal(RequestUrgency.Later, RequestUrgencies.Of(D(3, 31), friday, Seeded));
        // A week earlier, with no holiday ahead, three working days end on Wednesday.
        Assert.Equal(RequestUrgency.Soon, RequestUrgencies.Of(D(3, 18), D(3, 13), Seeded));
        Assert.Equal(RequestUrgency.Later, RequestUrgencies.Of(D(3, 19), D(3, 13), Seeded));
    }

    [Fact]
    public void AFarDueDateIsLater()
    {
        Assert.Equal(RequestUrgency.Later, RequestUrgencies.Of(D(5, 4), D(3, 20), Seeded));
        Assert.Throws<ArgumentNullException>(() => RequestUrgencies.Of(D(5, 4), D(3, 20), null!));
    }

    [Fact]
    public void TheWorkingDaysOverdueCountOnlyWorkingDaysAfterTheDueDate()
    {
        Assert.Equal(1, RequestDigest.WorkingDaysOverdue(D(3, 19), D(3, 20), Seeded));
        // Due Fri 20 Mar, seen Thu 26 Mar: the weekend and the three Nauryz days off do not count.
        Assert.Equal(1, RequestDigest.WorkingDaysOverdue(D(3, 20), D(3, 26), Seeded));
        Assert.Equal(5, RequestDigest.WorkingDaysOverdue(D(3, 13), D(3, 20), Seeded));
        Assert.Equal(0, RequestDigest.WorkingDaysOverdue(D(3, 20), D(3, 20), Seeded));
    }
}

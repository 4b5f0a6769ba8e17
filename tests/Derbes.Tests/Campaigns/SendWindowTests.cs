using Derbes.Web.Calendar;
using Derbes.Web.Campaigns;

namespace Derbes.Tests.Campaigns;

/// <summary>When campaign messages may leave: working days of the Kazakhstan calendar, 09:00–21:00 Almaty by default.</summary>
public sealed class SendWindowTests
{
    private static readonly WorkingCalendar Seeded = new(CalendarSeed.Known.Select((k, i) => new CalendarFact { Id = i + 1, Date = k.Date, Kind = k.Kind, Note = k.Note }));

    private static DateTimeOffset Almaty(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, WorkingCalendar.AlmatyOffset);

    private static readonly SendWindow Window = new(Seeded, new CampaignOptions());

    [Fact]
    public void AWorkingDayIsOpenFromNineUntilJustBeforeNine()
    {
        Assert.False(Window.IsOpen(Almaty(11, 25, 8, 59)));
        Assert.True(Window.IsOpen(Almaty(11, 25, 9, 0)));
        Assert.True(Window.IsOpen(Almaty(11, 25, 20, 59)));
        Assert.False(Window.IsOpen(Almaty(11, 25, 21, 0)));
    }

    [Fact]
    public void AfterFridayEveningItOpensOnMondayMorning()
    {
        Assert.False(Window.IsOpen(Almaty(11, 28, 12)));
        Assert.Equal(Almaty(11, 30, 9), Window.NextOpen(Almaty(11, 27, 21, 30)));
        Assert.Equal(Almaty(11, 25, 9), Window.NextOpen(Almaty(11, 25, 3)));
        Assert.Equal(Almaty(11, 25, 12), Window.NextOpen(Almaty(11, 25, 12)));
    }

    [Fact]
    public void PublicHolidaysAreClosedAndTheirWindowIsTheNextWorkingDay()
    {
        // Republic Day, Sunday 25 October 2026: its day off moves to Monday 26 October.
        Assert.False(Window.IsOpen(Almaty(10, 26, 12)));
        Assert.Equal(Almaty(10, 27, 9), Window.NextOpen(Almaty(10, 24, 12)));
        // Independence Day, Wednesday 16 December 2026.
        Assert.False(Window.IsOpen(Almaty(12, 16, 12)));
    }

    [Fact]
    public void AWindowOfNoLengthNeverOpensAndEveryDayCountsWhenWorkingDaysOnlyIsOff()
    {
        var empty = new SendWindow(Seeded, new CampaignOptions { WindowStart = new TimeOnly(9, 0), WindowEnd = new TimeOnly(9, 0) });
        Assert.Null(empty.NextOpen(Almaty(11, 25, 8)));
        var everyDay = new SendWindow(Seeded, new CampaignOptions { WorkingDaysOnly = false });
        Assert.True(everyDay.IsOpen(Almaty(11, 28, 12)));
    }
}

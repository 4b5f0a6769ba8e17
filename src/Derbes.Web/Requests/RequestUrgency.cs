using Derbes.Web.Calendar;

namespace Derbes.Web.Requests;

/// <summary>How pressing an open request is, as the staff dashboard colours it and the daily digest groups it.</summary>
public enum RequestUrgency
{
    /// <summary>Due later than <see cref="RequestUrgencies.SoonWorkingDays"/> working days from today.</summary>
    Later = 0,

    /// <summary>Due within the next <see cref="RequestUrgencies.SoonWorkingDays"/> working days (not today).</summary>
    Soon = 1,

    /// <summary>Due today: the answer must go out before the day ends in Asia/Almaty.</summary>
    Today = 2,

    /// <summary>Open past its due date.</summary>
    Overdue = 3,
}

public static class RequestUrgencies
{
    /// <summary>"Due in 3 working days": counted on the working-day calendar, so a Friday before a holiday looks further ahead.</summary>
    public const int SoonWorkingDays = 3;

    /// <summary>The urgency of a request due on <paramref name="dueOn"/>, seen on <paramref name="today"/> (Asia/Almaty).</summary>
    public static RequestUrgency Of(DateOnly dueOn, DateOnly today, WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (today > dueOn)
        {
            return RequestUrgency.Overdue;
        }
        if (today == dueOn)
        {
            return RequestUrgency.Today;
        }
        return dueOn <= calendar.AddWorkingDays(today, SoonWorkingDays) ? RequestUrgency.Soon : RequestUrgency.Later;
    }
}

namespace Derbes.Web.Calendar;

/// <summary>
/// Times as people in Kazakhstan read them. Instants are stored in UTC and shown, dated and counted at
/// <see cref="WorkingCalendar.AlmatyOffset"/>, the one offset of the whole country since 1 March 2024; should the law
/// move the clock again, that constant is the one place to change.
/// </summary>
public static class AlmatyTime
{
    /// <summary>The same instant at Kazakhstan's offset: for showing it, or for its local date and time of day.</summary>
    public static DateTimeOffset ToAlmaty(this DateTimeOffset at) => at.ToOffset(WorkingCalendar.AlmatyOffset);
}

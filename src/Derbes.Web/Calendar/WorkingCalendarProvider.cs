using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Calendar;

/// <summary>
/// The current <see cref="WorkingCalendar"/>: the rules plus the facts table, read once and kept for
/// <see cref="CacheLifetime"/>. An edit at /admin/calendar refreshes this instance at once
/// (<see cref="Invalidate"/>); other instances of the site see it within <see cref="CacheLifetime"/>, which is
/// short against the shortest term (one working day) and long against the rate of requests.
/// </summary>
public sealed class WorkingCalendarProvider(IServiceScopeFactory scopes, TimeProvider clock)
{
    /// <summary>How long another instance may go on with the calendar it read before an edit.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(60);

    private sealed record Snapshot(WorkingCalendar Calendar, DateTimeOffset LoadedAt);

    private Snapshot? _current;
    private long _version;

    public async Task<WorkingCalendar> CurrentAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var snapshot = Volatile.Read(ref _current);
        if (snapshot is not null && now >= snapshot.LoadedAt && now - snapshot.LoadedAt < CacheLifetime)
        {
            return snapshot.Calendar;
        }
        var version = Interlocked.Read(ref _version);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var facts = await db.CalendarFacts.AsNoTracking().ToListAsync(cancellationToken);
        var calendar = new WorkingCalendar(facts);
        // A load that an edit overtook is used once but not kept: the next caller reads the edit.
        if (Interlocked.Read(ref _version) == version)
        {
            Volatile.Write(ref _current, new Snapshot(calendar, now));
        }
        return calendar;
    }

    /// <summary>Forgets the kept calendar after a change of the facts, so the next caller reads them again.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _version);
        Volatile.Write(ref _current, null);
    }
}

using Derbes.Web.Calendar;
using Derbes.Web.Campaigns;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Statistics;

/// <summary>
/// Keeps <see cref="StatisticsDay"/> up to date (policy 2.2.5, Art. 17): every <see cref="StatisticsOptions.RefreshInterval"/>
/// it recomputes the days from the last computed day minus <see cref="StatisticsOptions.RecomputeDays"/> up to today
/// (on an empty table: from the first registration or sign-in on record), and today's snapshots. Every query here is
/// an aggregate (COUNT … GROUP BY language, kind, purpose): no account id, name or contact leaves the database, and
/// what is written are counts. Each day is replaced in one transaction, so the page never sees half a day. Two
/// instances running at once may collide on a day's rows; the later one fails that run and tries again at the next.
/// </summary>
public sealed partial class StatisticsJob(
    IServiceScopeFactory scopes,
    IOptionsMonitor<StatisticsOptions> options,
    TimeProvider clock,
    ILogger<StatisticsJob> logger) : PeriodicJob(clock, logger)
{
    private const string SignedIn = "signin.succeeded";
    private const string SignInFailed = "signin.failed";

    // One run at a time in this instance: the background run and one asked for directly (a test, the benchmark) wait for each other.
    private readonly SemaphoreSlim _running = new(1, 1);

    protected override TimeSpan Interval => options.CurrentValue.RefreshInterval;

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    protected override async Task RunOnceAsync(CancellationToken cancellationToken) => await RefreshAsync(cancellationToken);

    /// <summary>Recomputes the recent days and today's snapshots; returns how many days it wrote.</summary>
    public async Task<int> RefreshAsync(CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            return await RefreshOnceAsync(cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<int> RefreshOnceAsync(CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var today = WorkingCalendar.AlmatyDate(now);
        DateOnly first;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
            var last = await db.Set<StatisticsDay>().Where(s => s.Metric == StatisticsMetrics.Computed)
                .MaxAsync(s => (DateOnly?)s.Day, cancellationToken);
            first = last is { } day ? day.AddDays(-options.CurrentValue.RecomputeDays) : await FirstDayAsync(db, today, cancellationToken);
        }
        if (first > today)
        {
            first = today;
        }
        var days = 0;
        for (var day = first; day <= today; day = day.AddDays(1))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
            await ComputeDayAsync(db, day, day == today, now, cancellationToken);
            days++;
        }
        LogRefreshed(logger, first, today, days);
        return days;
    }

    /// <summary>The first day anything counted happened: the first customer's registration or the first sign-in.</summary>
    private static async Task<DateOnly> FirstDayAsync(DerbesDb db, DateOnly today, CancellationToken cancellationToken)
    {
        var registered = await db.Users.Where(a => a.Kind == AccountKind.Customer).MinAsync(a => (DateTimeOffset?)a.CreatedAt, cancellationToken);
        var audited = await db.AuditEntries.MinAsync(e => (DateTimeOffset?)e.At, cancellationToken);
        var earliest = new[] { registered, audited }.Where(t => t is not null).Select(t => WorkingCalendar.AlmatyDate(t!.Value)).DefaultIfEmpty(today).Min();
        return earliest < today ? earliest : today;
    }

    private static async Task ComputeDayAsync(DerbesDb db, DateOnly day, bool isToday, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), WorkingCalendar.AlmatyOffset).ToUniversalTime();
        var end = start.AddDays(1);
        var rows = new List<StatisticsDay>();
        void Add(string metric, string language, string key, long count)
        {
            if (count > 0)
            {
                rows.Add(new StatisticsDay { Day = day, Metric = metric, Language = language, Key = key, Count = count });
            }
        }

        // Registrations of the day and how many of them confirmed their email.
        var registrations = await db.Users.AsNoTracking()
            .Where(a => a.Kind == AccountKind.Customer && a.CreatedAt >= start && a.CreatedAt < end)
            .GroupBy(a => a.PreferredLanguage)
            .Select(g => new { Language = g.Key, Registered = g.Count(), Confirmed = g.Count(a => a.ConfirmedAt != null) })
            .ToListAsync(cancellationToken);
        foreach (var r in registrations)
        {
            Add(StatisticsMetrics.Registered, r.Language, "", r.Registered);
            Add(StatisticsMetrics.Confirmed, r.Language, "", r.Confirmed);
        }

        // Identity documents reviewed that day.
        var documents = await db.Documents.AsNoTracking()
            .Where(d => d.ReviewedAt >= start && d.ReviewedAt < end && d.Status != DocumentStatus.AwaitingReview)
            .Join(db.Users, d => d.AccountId, a => a.Id, (d, a) => new { d.Status, a.PreferredLanguage })
            .GroupBy(x => new { x.Status, x.PreferredLanguage })
            .Select(g => new { g.Key.Status, g.Key.PreferredLanguage, Count = g.Count() })
            .ToListAsync(cancellationToken);
        foreach (var d in documents)
        {
            Add(StatisticsMetrics.Documents, d.PreferredLanguage, d.Status == DocumentStatus.Verified ? "verified" : "rejected", d.Count);
        }

        // Withdrawals of an advertising consent from a campaign's message ("campaign:12": the unsubscribe link, a STOP reply, the mailbox).
        var optOuts = await db.ConsentRecords.AsNoTracking()
            .Where(c => c.At >= start && c.At < end && !c.Granted && c.Reference.StartsWith("campaign:"))
            .Join(db.Users, c => c.AccountId, a => a.Id, (c, a) => new { c.Reference, a.PreferredLanguage })
            .GroupBy(x => new { x.Reference, x.PreferredLanguage })
            .Select(g => new { g.Key.Reference, g.Key.PreferredLanguage, Count = g.Count() })
            .ToListAsync(cancellationToken);
        foreach (var o in optOuts)
        {
            if (Campaign.IdOf(o.Reference) is { } id)
            {
                Add(StatisticsMetrics.OptOuts, o.PreferredLanguage, id.ToString(System.Globalization.CultureInfo.InvariantCulture), o.Count);
            }
        }

        // Requests and complaints received that day, and those answered (or closed unanswered) that day, in time or late.
        var received = await db.CustomerRequests.AsNoTracking()
            .Where(r => r.ReceivedOn == day)
            .Join(db.Users, r => r.AccountId, a => a.Id, (r, a) => new { r.Kind, a.PreferredLanguage })
            .GroupBy(x => new { x.Kind, x.PreferredLanguage })
            .Select(g => new { g.Key.Kind, g.Key.PreferredLanguage, Count = g.Count() })
            .ToListAsync(cancellationToken);
        foreach (var r in received)
        {
            Add(StatisticsMetrics.RequestsReceived, r.PreferredLanguage, r.Kind.ToString(), r.Count);
        }
        var completed = await db.CustomerRequests.AsNoTracking()
            .Where(r => (r.AnsweredAt ?? r.ClosedAt) >= start && (r.AnsweredAt ?? r.ClosedAt) < end)
            .Join(db.Users, r => r.AccountId, a => a.Id, (r, a) => new { r.Kind, r.DueOn, a.PreferredLanguage })
            .GroupBy(x => new { x.Kind, x.PreferredLanguage })
            .Select(g => new { g.Key.Kind, g.Key.PreferredLanguage, OnTime = g.Count(x => x.DueOn >= day), Late = g.Count(x => x.DueOn < day) })
            .ToListAsync(cancellationToken);
        foreach (var r in completed)
        {
            Add(StatisticsMetrics.RequestsCompleted, r.PreferredLanguage, r.Kind + "|on-time", r.OnTime);
            Add(StatisticsMetrics.RequestsCompleted, r.PreferredLanguage, r.Kind + "|late", r.Late);
        }

        // Sign-ins, as the audit trail records them (customers and staff, every channel); its subject is an id as text,
        // so they are not split by language.
        var signIns = await db.AuditEntries.AsNoTracking()
            .Where(e => e.At >= start && e.At < end && (e.Action == SignedIn || e.Action == SignInFailed))
            .GroupBy(e => e.Action)
            .Select(g => new { Action = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        foreach (var s in signIns)
        {
            Add(StatisticsMetrics.SignIns, "", s.Action == SignedIn ? "ok" : "failed", s.Count);
        }

        if (isToday)
        {
            var active = await db.Users.AsNoTracking()
                .Where(a => a.Kind == AccountKind.Customer && a.Status == AccountStatus.Active)
                .GroupBy(a => a.PreferredLanguage)
                .Select(g => new { Language = g.Key, Count = g.Count() })
                .ToListAsync(cancellationToken);
            foreach (var a in active)
            {
                Add(StatisticsMetrics.Active, a.Language, "", a.Count);
            }

            // Each active customer's latest record per purpose: whether they agree now, and how they last said so.
            var consents = await db.ConsentRecords.AsNoTracking()
                .Where(c => !db.ConsentRecords.Any(n => n.AccountId == c.AccountId && n.Purpose == c.Purpose && n.Id > c.Id))
                .Join(db.Users.Where(a => a.Kind == AccountKind.Customer && a.Status == AccountStatus.Active), c => c.AccountId, a => a.Id,
                    (c, a) => new { c.Purpose, c.Channel, c.Granted, a.PreferredLanguage })
                .GroupBy(x => new { x.Purpose, x.Channel, x.Granted, x.PreferredLanguage })
                .Select(g => new { g.Key.Purpose, g.Key.Channel, g.Key.Granted, g.Key.PreferredLanguage, Count = g.Count() })
                .ToListAsync(cancellationToken);
            foreach (var c in consents)
            {
                Add(StatisticsMetrics.Consents, c.PreferredLanguage, c.Purpose + "|" + c.Channel + "|" + (c.Granted ? "granted" : "withdrawn"), c.Count);
            }

            var overdue = await db.CustomerRequests.AsNoTracking()
                .Where(r => CustomerRequest.OpenStatuses.Contains(r.Status) && r.DueOn < day)
                .Join(db.Users, r => r.AccountId, a => a.Id, (r, a) => new { r.Kind, a.PreferredLanguage })
                .GroupBy(x => new { x.Kind, x.PreferredLanguage })
                .Select(g => new { g.Key.Kind, g.Key.PreferredLanguage, Count = g.Count() })
                .ToListAsync(cancellationToken);
            foreach (var r in overdue)
            {
                Add(StatisticsMetrics.RequestsOverdue, r.PreferredLanguage, r.Kind.ToString(), r.Count);
            }
        }
        // When the day was last computed, in Unix seconds: the page says how fresh its figures are.
        rows.Add(new StatisticsDay { Day = day, Metric = StatisticsMetrics.Computed, Language = "", Key = "", Count = now.ToUnixTimeSeconds() });

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var stale = db.Set<StatisticsDay>().Where(s => s.Day == day);
        if (!isToday)
        {
            // A past day keeps the snapshots it ended with.
            stale = stale.Where(s => s.Metric != StatisticsMetrics.Active && s.Metric != StatisticsMetrics.Consents && s.Metric != StatisticsMetrics.RequestsOverdue);
        }
        await stale.ExecuteDeleteAsync(cancellationToken);
        db.Set<StatisticsDay>().AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Statistics computed for {First} to {Last} ({Days} days)")]
    private static partial void LogRefreshed(ILogger logger, DateOnly first, DateOnly last, int days);
}

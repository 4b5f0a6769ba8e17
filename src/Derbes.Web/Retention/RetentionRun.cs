using System.Globalization;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Retention;

/// <summary>
/// The daily retention run (Art. 7 p.9, Art. 18): once a day, from <see cref="RetentionOptions.RunTime"/> in Asia/Almaty,
/// it destroys what is due in every category of the <see cref="RetentionTable"/>, one after the other, each item in its
/// own transaction with its own audit entry; then, when any customer's data was destroyed or is past its time but
/// kept, it writes one summary audit entry and emails the counts to each active Privacy Officer. A run that found
/// nothing to do, or only purged the audit trail (which records that itself), is in its <see cref="RetentionRunRecord"/>
/// only (the table page shows when it ran and what it did).
/// <para>
/// One run at a time, across instances: a run is claimed in its row, under the chain lock, for
/// <see cref="ClaimLease"/>, and the claim is renewed after every item. A run stopped midway (the instance killed)
/// leaves every item destroyed or untouched, the categories it finished marked done, and its claim to lapse; the next
/// look on any instance then takes the run over and finishes the rest. In one instance a run started by hand waits
/// for the scheduled one.
/// </para>
/// </summary>
public sealed partial class RetentionRun(
    IServiceScopeFactory scopes,
    RetentionTable table,
    IOptionsMonitor<RetentionOptions> options,
    TimeProvider clock,
    ILogger<RetentionRun> logger) : PeriodicJob(clock, logger)
{
    /// <summary>How long a claim holds without being renewed: a run whose instance died is taken over after this.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(10);

    public const string Scheduled = "schedule";

    private readonly string _instance = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}");
    private readonly SemaphoreSlim _one = new(1, 1);

    protected override TimeSpan Interval => options.CurrentValue.CheckInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken) => await RunDueAsync(cancellationToken);

    /// <summary>The latest moment the schedule says a run is due from: today's run time in Almaty, or yesterday's before it.</summary>
    public DateTimeOffset ScheduledAt(DateTimeOffset now)
    {
        var local = now.ToAlmaty();
        var today = new DateTimeOffset(WorkingCalendar.AlmatyDate(now).ToDateTime(options.CurrentValue.RunTime), WorkingCalendar.AlmatyOffset);
        // In UTC: PostgreSQL stores and compares instants, and takes no other offset.
        return (today <= local ? today : today.AddDays(-1)).ToUniversalTime();
    }

    /// <summary>
    /// Runs if the schedule says so: no run has started since the latest run time, or a run stopped midway and its
    /// claim has lapsed. Returns the run when this call finished one.
    /// </summary>
    public Task<RetentionRunRecord?> RunDueAsync(CancellationToken cancellationToken) =>
        RunAsync(Scheduled, ScheduledAt(Clock.GetUtcNow()), null, cancellationToken);

    /// <summary>
    /// Runs now, whatever the schedule (a run by hand; tests), unless another instance is running (then null). A run
    /// stopped midway whose claim has lapsed is finished instead of starting a new one. <paramref name="afterEach"/>
    /// is called with the category after each item destroyed.
    /// </summary>
    public Task<RetentionRunRecord?> RunNowAsync(string startedBy, Action<RetentionCategory>? afterEach, CancellationToken cancellationToken) =>
        RunAsync(startedBy, null, afterEach, cancellationToken);

    public override void Dispose()
    {
        _one.Dispose();
        base.Dispose();
    }

    private async Task<RetentionRunRecord?> RunAsync(string startedBy, DateTimeOffset? scheduledAt, Action<RetentionCategory>? afterEach, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            if (await ClaimAsync(startedBy, scheduledAt, cancellationToken) is not { } runId)
            {
                return null;
            }
            foreach (var category in RetentionTable.Categories)
            {
                if (!await RunCategoryAsync(runId, category, afterEach, cancellationToken))
                {
                    // The claim went to another instance (this one stalled past the lease): it finishes the run.
                    LogClaimLost(logger, runId);
                    return null;
                }
            }
            return await FinishAsync(runId, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Takes the run to do, under the chain lock (one claimer across instances); its id, or null when there is none for this instance.</summary>
    private async Task<long?> ClaimAsync(string startedBy, DateTimeOffset? scheduledAt, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        // A cheap look first: on most looks of the day the run is long done.
        var now = Clock.GetUtcNow();
        if (scheduledAt is { } since && !await db.RetentionRuns.AnyAsync(r => r.FinishedAt == null, cancellationToken)
            && await db.RetentionRuns.AnyAsync(r => r.StartedAt >= since, cancellationToken))
        {
            return null;
        }
        return await db.WithChainLockAsync<long?>(async ct =>
        {
            now = Clock.GetUtcNow();
            var open = await db.RetentionRuns.Where(r => r.FinishedAt == null).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
            if (open is not null)
            {
                if (open.ClaimedUntil > now)
                {
                    return null;
                }
                // Stopped midway: this instance finishes it.
                LogTakenOver(logger, open.Id, open.ClaimedBy);
                open.ClaimedBy = _instance;
                open.ClaimedUntil = now + ClaimLease;
                await db.SaveChangesAsync(ct);
                return open.Id;
            }
            if (scheduledAt is { } due && await db.RetentionRuns.AnyAsync(r => r.StartedAt >= due, ct))
            {
                return null;
            }
            var run = new RetentionRunRecord { StartedAt = now, ClaimedBy = _instance, ClaimedUntil = now + ClaimLease, StartedBy = startedBy };
            db.RetentionRuns.Add(run);
            await db.SaveChangesAsync(ct);
            return run.Id;
        }, cancellationToken);
    }

    /// <summary>Renews the claim if it is still this instance's; false when another instance has taken the run over.</summary>
    private async Task<bool> RenewAsync(DerbesDb db, long runId, CancellationToken cancellationToken)
    {
        var until = Clock.GetUtcNow() + ClaimLease;
        return await db.RetentionRuns.Where(r => r.Id == runId && r.ClaimedBy == _instance && r.FinishedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClaimedUntil, until), cancellationToken) == 1;
    }

    /// <summary>Destroys what is due in <paramref name="category"/> unless this run did already; false when the claim was lost.</summary>
    private async Task<bool> RunCategoryAsync(long runId, RetentionCategory category, Action<RetentionCategory>? afterEach, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var count = await db.RetentionRunCounts.SingleOrDefaultAsync(c => c.RunId == runId && c.Category == category, cancellationToken);
        if (count?.DoneAt is not null)
        {
            return true;
        }
        if (count is null)
        {
            db.RetentionRunCounts.Add(new RetentionRunCount { RunId = runId, Category = category });
            await db.SaveChangesAsync(cancellationToken);
        }
        if (!await RenewAsync(db, runId, cancellationToken))
        {
            return false;
        }
        var lost = false;
        int destroyed;
        try
        {
            destroyed = await table.DestroyAllDueAsync(category, async n =>
            {
                // Counted as it goes, so a run taken over midway reports what both parts destroyed.
                await db.RetentionRunCounts.Where(c => c.RunId == runId && c.Category == category)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Destroyed, c => c.Destroyed + n), CancellationToken.None);
                if (!await RenewAsync(db, runId, CancellationToken.None))
                {
                    lost = true;
                    throw new OperationCanceledException("The retention run was taken over by another instance.");
                }
                afterEach?.Invoke(category);
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (lost)
        {
            return false;
        }
        var held = await table.HeldCountAsync(db, category, Clock.GetUtcNow(), cancellationToken);
        var now = Clock.GetUtcNow();
        await db.RetentionRunCounts.Where(c => c.RunId == runId && c.Category == category)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Held, held).SetProperty(c => c.DoneAt, now), cancellationToken);
        LogCategoryDone(logger, category, destroyed, held);
        return true;
    }

    /// <summary>Marks the run finished; when it destroyed or kept anything, with its summary audit entry and the Privacy Officers' emails, all in one transaction.</summary>
    private async Task<RetentionRunRecord?> FinishAsync(long runId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DerbesDb>();
        return await db.WithChainLockAsync(async ct =>
        {
            var run = await db.RetentionRuns.Include(r => r.Counts).SingleAsync(r => r.Id == runId, ct);
            if (run.FinishedAt is not null || run.ClaimedBy != _instance)
            {
                return null;
            }
            var now = Clock.GetUtcNow();
            run.FinishedAt = now;
            var counts = run.Counts.OrderBy(c => c.Category).ToList();
            // Customers' data destroyed or kept past its period is what the Privacy Officer hears of. The audit trail's
            // own purge alone is not: it happens every day (entries turn three years old daily) and is recorded by its
            // signed checkpoint and "audit.purged" entry; the report lists it beside the rest when there is a report.
            if (counts.Any(c => c.Category != RetentionCategory.AuditTrail && (c.Destroyed > 0 || c.Held > 0)))
            {
                // The totals (an entry holds 64 characters); the run's row, named by the subject, has them per category.
                var summary = string.Create(CultureInfo.InvariantCulture, $"destroyed:{counts.Sum(c => c.Destroyed)} kept:{counts.Sum(c => c.Held)}");
                services.GetRequiredService<AuditTrail>().Record("retention.run", "retention-run:" + run.Id.ToString(CultureInfo.InvariantCulture),
                    outcome: summary, actor: "system");
                var directory = services.GetRequiredService<AccountDirectory>();
                var report = services.GetRequiredService<RetentionReport>();
                var officers = await Staff.StaffDirectory.ActiveInRoleAsync(db, StaffRoles.PrivacyOfficer, ct);
                foreach (var officer in officers)
                {
                    report.Send(officer, directory.Open(officer), now, counts);
                }
                if (officers.Count == 0)
                {
                    LogNobodyToTell(logger, run.Id);
                }
            }
            await db.SaveChangesAsync(ct);
            LogFinished(logger, run.Id, counts.Sum(c => c.Destroyed), counts.Sum(c => c.Held));
            return run;
        }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention run: {Category} done, {Destroyed} destroyed, {Held} kept (blocked or held)")]
    private static partial void LogCategoryDone(ILogger logger, RetentionCategory category, int destroyed, int held);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention run {RunId} finished: {Destroyed} destroyed, {Held} kept")]
    private static partial void LogFinished(ILogger logger, long runId, int destroyed, int held);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention run {RunId} was stopped midway by {Instance}; finishing it")]
    private static partial void LogTakenOver(ILogger logger, long runId, string instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention run {RunId} was taken over by another instance; this one stops")]
    private static partial void LogClaimLost(ILogger logger, long runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The report of retention run {RunId} went to nobody: no active member of staff is a Privacy Officer")]
    private static partial void LogNobodyToTell(ILogger logger, long runId);
}

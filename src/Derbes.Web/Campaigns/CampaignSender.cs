using Derbes.Web.Calendar;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Campaigns;

/// <summary>
/// Runs the campaigns on every instance, each step safe when several instances take it at once:
/// <list type="number">
/// <item>starts a scheduled campaign whose time has come;</item>
/// <item>queues a started campaign's audience in the outbox, held (not yet deliverable), a batch per transaction
/// over the customer numbers; a batch counts only if it moved the run's cursor from where it found it, and the
/// outbox refuses a second message of one campaign to one customer, so each customer is queued exactly once;</item>
/// <item>while the campaign is sending and the window is open, releases its next held messages to the outbox at the
/// configured pace (one instance a tick: the run's release time is a concurrency token);</item>
/// <item>marks a campaign completed once nothing of it is left to send.</item>
/// </list>
/// The outbox worker then sends each released message after checking the consent and the account again
/// (<see cref="CampaignMessages"/>); a message that meets a paused campaign or a closed window goes back to held.
/// </summary>
public sealed partial class CampaignSender(
    IServiceScopeFactory scopes,
    IOptionsMonitor<CampaignOptions> options,
    WorkingCalendarProvider calendars,
    OutboxSignal signal,
    TimeProvider clock,
    ILogger<CampaignSender> logger) : PeriodicJob(clock, logger)
{
    /// <summary>The outbox kind of every campaign message.</summary>
    public const string Kind = "campaign";

    protected override TimeSpan Interval => options.CurrentValue.Interval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => TickAsync(cancellationToken);

    /// <summary>One pass over every campaign: start, queue, release, complete. Returns the messages released.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        await StartDueAsync(cancellationToken);
        List<long> sending;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
            sending = await db.Campaigns.AsNoTracking().Where(c => c.Status == CampaignStatus.Sending).Select(c => c.Id).ToListAsync(cancellationToken);
        }
        var released = 0;
        foreach (var id in sending)
        {
            while (await QueueBatchAsync(id, cancellationToken) is > 0)
            {
            }
            released += await ReleaseAsync(id, cancellationToken);
            await CompleteIfDoneAsync(id, cancellationToken);
        }
        if (released > 0)
        {
            signal.Notify();
        }
        return released;
    }

    private async Task StartDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var now = Clock.GetUtcNow();
        var due = await db.Campaigns.Where(c => c.Status == CampaignStatus.Scheduled && c.ScheduledFor <= now).ToListAsync(cancellationToken);
        foreach (var campaign in due)
        {
            campaign.Status = CampaignStatus.Sending;
            campaign.StartedAt = now;
            campaign.Version++;
            // The pace counts from the time it was due to start (at most a minute's worth accrues, as always).
            var startedFrom = campaign.ScheduledFor is { } at && at < now ? at : now;
            db.CampaignRuns.Add(new CampaignRun { CampaignId = campaign.Id, ReleasedAt = startedFrom });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                LogStarted(logger, campaign.Id);
            }
            catch (DbUpdateException)
            {
                // Another instance started it, or staff changed it, a moment ago: theirs stands.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Queues one batch of the campaign's audience; 0 when it is all queued (or another instance took this batch).</summary>
    private async Task<int> QueueBatchAsync(long id, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var run = await db.CampaignRuns.SingleOrDefaultAsync(r => r.CampaignId == id, cancellationToken);
        if (run is null || run.PlannedAt is not null)
        {
            return 0;
        }
        var campaign = await db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id, cancellationToken);
        var batchSize = options.CurrentValue.PlanBatchSize;
        var cursor = run.Cursor;
        var now = Clock.GetUtcNow();
        var recipients = await NextBatch(db, campaign, cursor, batchSize).ToListAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        run.Cursor = recipients.Count > 0 ? recipients[^1].NormalizedUserName : cursor;
        run.Queued += recipients.Count;
        if (recipients.Count < batchSize)
        {
            run.PlannedAt = now;
        }
        try
        {
            // The cursor is a concurrency token: if another instance moved it since it was read, this batch is void.
            await db.SaveChangesAsync(cancellationToken);
            await db.InsertOutboxAsync([.. recipients.Select(r => new OutboxMessage
            {
                AccountId = r.Id,
                Channel = campaign.Channel,
                Kind = Kind,
                Reference = campaign.Reference,
                CreatedAt = now,
                AvailableAt = OutboxMessage.Held,
            })], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException)
        {
            // Another instance moved the cursor first (or, behind it, queued one of these customers: the outbox holds
            // one message per customer and campaign): this batch is void, theirs stands.
            await transaction.RollbackAsync(cancellationToken);
            return 0;
        }
        if (run.PlannedAt is not null)
        {
            LogQueued(logger, id, run.Queued);
        }
        return recipients.Count;
    }

    /// <summary>
    /// The next <paramref name="size"/> recipients of <paramref name="campaign"/> after <paramref name="cursor"/>, in
    /// customer-number order: what one planning step queues (public so the benchmark can print its plan).
    /// </summary>
    public static IQueryable<CampaignRecipient> NextBatch(DerbesDb db, Campaign campaign, string cursor, int size)
    {
        // Translated to SQL ("NormalizedUserName" > @cursor); customer numbers are ten ASCII digits, so every
        // collation orders them alike. The analyzer's advice applies to comparisons run in .NET.
#pragma warning disable CA1309
        return CampaignAudience.Of(db, campaign).AsNoTracking()
            .Where(a => string.Compare(a.NormalizedUserName!, cursor) > 0)
            .OrderBy(a => a.NormalizedUserName)
            .Select(a => new CampaignRecipient(a.Id, a.NormalizedUserName!))
            .Take(size);
#pragma warning restore CA1309
    }

    /// <summary>Releases what the pace allows since the last release, if the campaign is sending and the window is open.</summary>
    private async Task<int> ReleaseAsync(long id, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var window = new SendWindow(await calendars.CurrentAsync(cancellationToken), settings);
        var now = Clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var campaign = await db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id, cancellationToken);
        var run = await db.CampaignRuns.SingleOrDefaultAsync(r => r.CampaignId == id, cancellationToken);
        if (campaign.Status != CampaignStatus.Sending || run is null)
        {
            return 0;
        }
        if (!window.IsOpen(now))
        {
            // Nothing accrues while the window is closed: the next window starts at the pace, not with a burst.
            run.ReleasedAt = now;
            await TrySaveAsync(db, cancellationToken);
            return 0;
        }
        var perMinute = campaign.Channel == MessageChannel.Sms ? settings.SmsPerMinute : settings.EmailsPerMinute;
        // At most a minute's worth at once, however long since the last release (a pause, a stopped instance).
        var elapsed = now - run.ReleasedAt;
        var allowance = (int)Math.Min(perMinute, Math.Floor(perMinute * Math.Max(0, elapsed.TotalMinutes)));
        if (allowance < 1)
        {
            return 0;
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        run.ReleasedAt = now;
        if (!await TrySaveAsync(db, cancellationToken))
        {
            return 0;
        }
        var reference = campaign.Reference;
        var released = await db.Outbox
            .Where(m => m.Reference == reference && m.AvailableAt == OutboxMessage.Held && m.SentAt == null)
            .OrderBy(m => m.Id)
            .Take(allowance)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.AvailableAt, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return released;
    }

    private async Task CompleteIfDoneAsync(long id, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var run = await db.CampaignRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CampaignId == id, cancellationToken);
        if (run?.PlannedAt is null)
        {
            return;
        }
        var reference = Campaign.ReferenceOf(id);
        var gone = OutboxMessage.GivenUp;
        if (await db.Outbox.AnyAsync(m => m.Reference == reference && m.SentAt == null && m.AvailableAt != gone, cancellationToken))
        {
            return;
        }
        var now = Clock.GetUtcNow();
        var done = await db.Campaigns
            .Where(c => c.Id == id && c.Status == CampaignStatus.Sending)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Completed).SetProperty(c => c.CompletedAt, now).SetProperty(c => c.Version, c => c.Version + 1), cancellationToken);
        if (done > 0)
        {
            LogCompleted(logger, id);
        }
    }

    private static async Task<bool> TrySaveAsync(DerbesDb db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {Id} started")]
    private static partial void LogStarted(ILogger logger, long id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {Id}: every recipient is queued ({Count})")]
    private static partial void LogQueued(ILogger logger, long id, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {Id} completed")]
    private static partial void LogCompleted(ILogger logger, long id);
}

/// <summary>One customer a campaign is queued for, and the customer number the planning cursor moves to.</summary>
public sealed record CampaignRecipient(Guid Id, string NormalizedUserName);

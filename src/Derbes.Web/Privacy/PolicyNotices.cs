using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Privacy;

public sealed class PolicyNoticeOptions
{
    public const string Section = "PolicyNotices";

    /// <summary>How often each instance looks for an edition whose notices are not all queued.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Customers queued per transaction.</summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>The pace of delivery: notices are spread so the mail server receives at most this many a minute.</summary>
    public int PerMinute { get; set; } = 600;
}

/// <summary>
/// Tells every active customer about a new edition of the policy (5.4): one email each, in their language,
/// through the outbox and paced. Each edition's run goes through the customers in the order of their number, a
/// batch per transaction; a batch counts only if it moved the run's cursor from where it found it, so with several
/// instances (or two runs at once) each customer is queued exactly once, and a run cut short resumes where it stopped.
/// Every edition after the first is announced; the first is the one customers agreed to at registration.
/// </summary>
public sealed partial class PolicyNotices(
    IServiceScopeFactory scopes,
    IOptionsMonitor<PolicyNoticeOptions> options,
    TimeProvider clock,
    ILogger<PolicyNotices> logger) : PeriodicJob(clock, logger)
{
    protected override TimeSpan Interval => options.CurrentValue.Interval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => QueueAllAsync(cancellationToken);

    /// <summary>Queues every notice still due, for every edition; returns how many were queued by this call.</summary>
    public async Task<int> QueueAllAsync(CancellationToken cancellationToken)
    {
        var queued = 0;
        while (true)
        {
            var batch = await QueueBatchAsync(cancellationToken);
            if (batch is null)
            {
                return queued;
            }
            queued += batch.Value;
        }
    }

    /// <summary>One batch of one edition; null when no edition has notices left to queue.</summary>
    private async Task<int?> QueueBatchAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var done = await db.PolicyNoticeRuns.AsNoTracking().Where(r => r.CompletedAt != null).Select(r => r.EditionNumber).ToListAsync(cancellationToken);
        var edition = await db.PolicyEditions.AsNoTracking()
            .Where(e => e.Number > 1 && !done.Contains(e.Number))
            .OrderBy(e => e.Number)
            .Select(e => (int?)e.Number)
            .FirstOrDefaultAsync(cancellationToken);
        if (edition is not { } number)
        {
            return null;
        }
        var now = Clock.GetUtcNow();
        var run = await db.PolicyNoticeRuns.SingleOrDefaultAsync(r => r.EditionNumber == number, cancellationToken);
        if (run is null)
        {
            db.PolicyNoticeRuns.Add(new PolicyNoticeRun { EditionNumber = number, StartedAt = now });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another instance started the same run a moment ago: go on with theirs.
            }
            return 0;
        }
        var cursor = run.Cursor;
        // Translated to SQL ("NormalizedUserName" > @cursor); customer numbers are ten ASCII digits, so every
        // collation orders them alike. The analyzer's advice applies to comparisons run in .NET.
#pragma warning disable CA1309
        var customers = await db.Users.AsNoTracking()
            .Where(a => a.Kind == AccountKind.Customer && a.Status == AccountStatus.Active && a.EmailConfirmed
                && string.Compare(a.NormalizedUserName!, cursor) > 0)
            .OrderBy(a => a.NormalizedUserName)
            .Select(a => new { a.Id, a.NormalizedUserName })
            .Take(settings.BatchSize)
            .ToListAsync(cancellationToken);
#pragma warning restore CA1309
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Spread over time after what is already queued for this edition, so delivery keeps its pace.
        var spacing = TimeSpan.FromMinutes(1) / Math.Max(1, settings.PerMinute);
        var start = run.StartedAt;
        for (var i = 0; i < customers.Count; i++)
        {
            db.Outbox.Add(new OutboxMessage
            {
                AccountId = customers[i].Id,
                Channel = MessageChannel.Email,
                Kind = DeferredMessages.PolicyNotice,
                Reference = "edition:" + number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                CreatedAt = now,
                AvailableAt = Later(start + (spacing * (run.Queued + i)), now),
            });
        }
        // The cursor is a concurrency token: if another instance moved it since it was read, this batch is void.
        run.Cursor = customers.Count > 0 ? customers[^1].NormalizedUserName! : cursor;
        run.Queued += customers.Count;
        if (customers.Count < settings.BatchSize)
        {
            run.CompletedAt = now;
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another instance moved the cursor (a concurrency conflict), or queued some of these customers first (the
            // outbox's one message per customer and edition): this batch is void, theirs stands.
            await transaction.RollbackAsync(cancellationToken);
            return 0;
        }
        if (run.CompletedAt is not null)
        {
            LogQueued(logger, number, run.Queued);
        }
        return customers.Count;
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Every notice of policy edition {Edition} is queued: {Count} customers")]
    private static partial void LogQueued(ILogger logger, int edition, int count);
}

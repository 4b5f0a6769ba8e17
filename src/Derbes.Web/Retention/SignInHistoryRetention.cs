using System.Globalization;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Retention;

/// <summary>
/// Destroys sign-in history older than <see cref="RetentionOptions.SignInHistory"/> (a year by default): the sessions,
/// each with when it began and was last used, the device and the address, once their last use (or their end) is that
/// old, with the app tokens tied to them. The audit trail's sign-in entries are not touched here: they are links of
/// a hash chain and go with the trail, behind a checkpoint, after <c>Audit:Retention</c>.
/// <para>
/// One transaction per person: their old sessions and tokens go together with one audit entry counting them, so a
/// run stopped between two people leaves each person's history either gone or whole. A blocked customer's history,
/// or that of a customer under a retention hold, is kept. Members of staff's old sessions go like customers'.
/// </para>
/// </summary>
public sealed partial class SignInHistoryRetention(
    IServiceScopeFactory scopes,
    IOptionsMonitor<RetentionOptions> options,
    TimeProvider clock,
    ILogger<SignInHistoryRetention> logger)
{
    /// <summary>Sessions last used (or ended) before this are past their time.</summary>
    public DateTimeOffset DueBefore(DateTimeOffset now) => now - options.CurrentValue.SignInHistory;

    /// <summary>Sessions past their time whose owner is not kept.</summary>
    public IQueryable<UserSession> Due(DerbesDb db, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Past(db, now).Where(s => !db.Users.Any(a => a.Id == s.AccountId && a.Kind == AccountKind.Customer
            && (a.Status == AccountStatus.Blocked || a.RetentionHold != null)));
    }

    /// <summary>Sessions past their time that are kept: their customer is blocked or under a retention hold.</summary>
    public IQueryable<UserSession> Held(DerbesDb db, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Past(db, now).Where(s => db.Users.Any(a => a.Id == s.AccountId && a.Kind == AccountKind.Customer
            && (a.Status == AccountStatus.Blocked || a.RetentionHold != null)));
    }

    private IQueryable<UserSession> Past(DerbesDb db, DateTimeOffset now)
    {
        var before = DueBefore(now);
        // Its last use: when it ended, or when it was last seen (an open session unused for a year is long dead).
        return db.Sessions.Where(s => (s.EndedAt ?? s.LastSeenAt) <= before);
    }

    /// <summary>
    /// Destroys every session past its time, one person per transaction; returns how many sessions went.
    /// <paramref name="afterEach"/> is called after each person's transaction has committed, with the number of their sessions it destroyed.
    /// </summary>
    public async Task<int> DestroyAllDueAsync(Func<int, Task>? afterEach, CancellationToken cancellationToken)
    {
        var destroyed = 0;
        var seen = new HashSet<Guid>();
        while (true)
        {
            List<Guid> people;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
                var candidates = await Due(db, clock.GetUtcNow()).AsNoTracking().Select(s => s.AccountId).Distinct()
                    .OrderBy(id => id).Take(100 + seen.Count).ToListAsync(cancellationToken);
                people = [.. candidates.Where(id => !seen.Contains(id)).Take(100)];
            }
            if (people.Count == 0)
            {
                return destroyed;
            }
            foreach (var accountId in people)
            {
                seen.Add(accountId);
                var count = await DestroyAsync(accountId, cancellationToken);
                destroyed += count;
                if (afterEach is not null && count > 0)
                {
                    await afterEach(count);
                }
            }
        }
    }

    /// <summary>Destroys one person's sessions past their time, with their app tokens and one audit entry; returns how many.</summary>
    private async Task<int> DestroyAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DerbesDb>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        return await db.WithChainLockAsync(async ct =>
        {
            // Read again in the transaction: another instance may have done it, or the customer been blocked meanwhile.
            var sessions = Due(db, clock.GetUtcNow()).Where(s => s.AccountId == accountId);
            var ids = await sessions.Select(s => s.Id).ToListAsync(ct);
            if (ids.Count == 0)
            {
                return 0;
            }
            await db.AppTokens.Where(t => ids.Contains(t.SessionId)).ExecuteDeleteAsync(ct);
            var deleted = await db.Sessions.Where(s => ids.Contains(s.Id)).ExecuteDeleteAsync(ct);
            audit.Record("signins.purged", accountId, outcome: "sessions:" + deleted.ToString(CultureInfo.InvariantCulture), actor: "system");
            await db.SaveChangesAsync(ct);
            LogPurged(logger, deleted, accountId);
            return deleted;
        }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in history: {Count} sessions of {AccountId} past their time destroyed")]
    private static partial void LogPurged(ILogger logger, int count, Guid accountId);
}

using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Retention;

/// <summary>One row of the retention table: a category, its period as configured now, and where it is set.</summary>
/// <param name="Category">The kind of data.</param>
/// <param name="Period">How long it is kept, from the moment the category counts from.</param>
/// <param name="SettingKey">The configuration key of the period.</param>
/// <param name="OnSettingsPage">Whether an Administrator sets it at /admin/settings (otherwise in configuration only).</param>
public sealed record RetentionRule(RetentionCategory Category, TimeSpan Period, string SettingKey, bool OnSettingsPage);

/// <summary>
/// The retention table (Art. 7 p.9, Art. 18): every category of data with a period, what happens at its end, how
/// much is due now and how much is past its time but kept (a blocked customer's data, or one under a retention hold,
/// is stored and not touched by any category). The destruction of each category stays with the code that knows its
/// data (<see cref="AccountDestruction"/>, <see cref="DocumentRetention"/>, <see cref="SignInHistoryRetention"/>,
/// <see cref="AuditRetention"/>); <see cref="RetentionRun"/> runs them all once a day, from here.
/// </summary>
public sealed class RetentionTable(
    AccountDestruction accounts,
    DocumentRetention documents,
    SignInHistoryRetention signIns,
    AuditRetention audit,
    IOptionsMonitor<RetentionOptions> retention,
    IOptionsMonitor<DocumentOptions> documentOptions,
    IOptionsMonitor<AccountOptions> accountOptions,
    IOptionsMonitor<AuditOptions> auditOptions)
{
    public static readonly IReadOnlyList<RetentionCategory> Categories = Enum.GetValues<RetentionCategory>();

    /// <summary>The table as configured now.</summary>
    public IReadOnlyList<RetentionRule> Rules =>
    [
        new(RetentionCategory.UnconfirmedAccounts, retention.CurrentValue.UnconfirmedAccounts, RetentionOptions.Section + ":" + nameof(RetentionOptions.UnconfirmedAccounts), true),
        new(RetentionCategory.VerifiedDocuments, documentOptions.CurrentValue.VerifiedRetention, DocumentOptions.Section + ":" + nameof(DocumentOptions.VerifiedRetention), true),
        new(RetentionCategory.RejectedDocuments, documentOptions.CurrentValue.RejectedRetention, DocumentOptions.Section + ":" + nameof(DocumentOptions.RejectedRetention), true),
        new(RetentionCategory.ClosedAccounts, accountOptions.CurrentValue.ClosingGracePeriod, AccountOptions.Section + ":" + nameof(AccountOptions.ClosingGracePeriod), false),
        new(RetentionCategory.SignInHistory, retention.CurrentValue.SignInHistory, RetentionOptions.Section + ":" + nameof(RetentionOptions.SignInHistory), true),
        new(RetentionCategory.AuditTrail, auditOptions.CurrentValue.Retention, AuditOptions.Section + ":" + nameof(AuditOptions.Retention), true),
    ];

    /// <summary>How many items of <paramref name="category"/> the next run would destroy at <paramref name="now"/>.</summary>
    public Task<int> DueCountAsync(DerbesDb db, RetentionCategory category, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return category switch
        {
            RetentionCategory.UnconfirmedAccounts => accounts.Due(db, AccountDestruction.Reason.Unconfirmed, now).CountAsync(cancellationToken),
            RetentionCategory.VerifiedDocuments => documents.Due(db, DocumentStatus.Verified, now).CountAsync(cancellationToken),
            RetentionCategory.RejectedDocuments => documents.Due(db, DocumentStatus.Rejected, now).CountAsync(cancellationToken),
            // Those under a hold are blocked by the run, not destroyed: they count as kept.
            RetentionCategory.ClosedAccounts => accounts.Due(db, AccountDestruction.Reason.Closed, now).CountAsync(a => a.RetentionHold == null, cancellationToken),
            RetentionCategory.SignInHistory => signIns.Due(db, now).CountAsync(cancellationToken),
            _ => AuditDueCountAsync(db, now, cancellationToken),
        };
    }

    /// <summary>How many items of <paramref name="category"/> are past their time at <paramref name="now"/> but kept (blocked, retention hold).</summary>
    public Task<int> HeldCountAsync(DerbesDb db, RetentionCategory category, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return category switch
        {
            RetentionCategory.UnconfirmedAccounts => accounts.Held(db, AccountDestruction.Reason.Unconfirmed, now).CountAsync(cancellationToken),
            RetentionCategory.VerifiedDocuments => documents.Held(db, DocumentStatus.Verified, now).CountAsync(cancellationToken),
            RetentionCategory.RejectedDocuments => documents.Held(db, DocumentStatus.Rejected, now).CountAsync(cancellationToken),
            RetentionCategory.ClosedAccounts => accounts.Held(db, AccountDestruction.Reason.Closed, now).CountAsync(cancellationToken),
            RetentionCategory.SignInHistory => signIns.Held(db, now).CountAsync(cancellationToken),
            // The trail is one chain for everyone: it goes in order, from its start, so no entry is kept for one customer.
            _ => Task.FromResult(0),
        };
    }

    private Task<int> AuditDueCountAsync(DerbesDb db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = now - auditOptions.CurrentValue.Retention;
        return db.AuditEntries.CountAsync(e => e.At < before, cancellationToken);
    }

    /// <summary>
    /// Destroys everything of <paramref name="category"/> that is due, each item in its own transaction, and returns
    /// how many items went; <paramref name="afterEach"/> is called after each item's transaction has committed, with
    /// how many items it destroyed (one account or document; a person's sessions; a batch of audit entries behind one checkpoint).
    /// </summary>
    public async Task<int> DestroyAllDueAsync(RetentionCategory category, Func<int, Task> afterEach, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(afterEach);
        switch (category)
        {
            case RetentionCategory.UnconfirmedAccounts:
                return (await accounts.DestroyAllDueAsync(AccountDestruction.Reason.Unconfirmed, () => afterEach(1), cancellationToken)).Destroyed;
            case RetentionCategory.ClosedAccounts:
                return (await accounts.DestroyAllDueAsync(AccountDestruction.Reason.Closed, () => afterEach(1), cancellationToken)).Destroyed;
            case RetentionCategory.VerifiedDocuments:
            case RetentionCategory.RejectedDocuments:
                {
                    var status = category == RetentionCategory.VerifiedDocuments ? DocumentStatus.Verified : DocumentStatus.Rejected;
                    var total = 0;
                    int batch;
                    while ((batch = await documents.PurgeDueAsync(status, () => afterEach(1), cancellationToken)) > 0)
                    {
                        total += batch;
                    }
                    return total;
                }
            case RetentionCategory.SignInHistory:
                return await signIns.DestroyAllDueAsync(afterEach, cancellationToken);
            default:
                {
                    var total = 0;
                    int batch;
                    while ((batch = await audit.PurgeDueAsync(cancellationToken)) > 0)
                    {
                        total += batch;
                        await afterEach(batch);
                    }
                    return total;
                }
        }
    }
}

using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Campaigns;

public enum UnsubscribeOutcome
{
    /// <summary>The consent is withdrawn now: a ledger record with its channel and what it came from.</summary>
    Done,
    /// <summary>The consent was not given (already withdrawn): nothing recorded.</summary>
    AlreadyOut,
    /// <summary>A campaign's test to a member of staff: nobody to unsubscribe.</summary>
    Test,
    /// <summary>No such customer any more (destroyed): nothing to do.</summary>
    Gone,
}

/// <summary>
/// Every opt-out from campaigns arrives here: the link in an email (its page's button, or a mail client's RFC 8058
/// one-click POST), an SMS reply STOP, an email to the care address. Each is the same withdrawal of the channel's
/// consent as the cabinet's switch (<see cref="ConsentSwitches"/>): a ledger record in the customer's language with
/// its channel and reference, audited, and an email telling the customer.
/// </summary>
public sealed class Unsubscriptions(DerbesDb db, ConsentSwitches switches)
{
    public async Task<(UnsubscribeOutcome Outcome, Account? Account)> ApplyAsync(
        Guid accountId, MessageChannel channel, ConsentChannel by, string reference, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null or { Status: AccountStatus.Destroyed })
        {
            return (UnsubscribeOutcome.Gone, null);
        }
        if (account.Kind != AccountKind.Customer)
        {
            return (UnsubscribeOutcome.Test, account);
        }
        var purpose = Campaign.PurposeOf(channel);
        var result = await switches.SwitchAsync(account.Id, purpose, agree: false, by, cancellationToken, account.PreferredLanguage, reference);
        return (result == ConsentSwitchResult.Changed ? UnsubscribeOutcome.Done : UnsubscribeOutcome.AlreadyOut, account);
    }

    /// <summary>
    /// Where the person of a link stands now, for the page a GET shows: null while they still receive the channel's
    /// campaigns (the page offers its one button); <see cref="UnsubscribeOutcome.AlreadyOut"/> once withdrawn;
    /// <see cref="UnsubscribeOutcome.Test"/> for the link of a test sent to a member of staff, who has no consent to
    /// withdraw and must not read "you are unsubscribed"; <see cref="UnsubscribeOutcome.Gone"/> for an account destroyed.
    /// </summary>
    public async Task<UnsubscribeOutcome?> StandingAsync(Guid accountId, MessageChannel channel, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().Where(a => a.Id == accountId).Select(a => new { a.Kind, a.Status }).SingleOrDefaultAsync(cancellationToken);
        if (account is null or { Status: AccountStatus.Destroyed })
        {
            return UnsubscribeOutcome.Gone;
        }
        if (account.Kind != AccountKind.Customer)
        {
            return UnsubscribeOutcome.Test;
        }
        var purpose = Campaign.PurposeOf(channel);
        var subscribed = await db.ConsentRecords.AsNoTracking()
            .Where(c => c.AccountId == accountId && c.Purpose == purpose)
            .OrderByDescending(c => c.Id)
            .Select(c => c.Granted)
            .FirstOrDefaultAsync(cancellationToken);
        return subscribed ? null : UnsubscribeOutcome.AlreadyOut;
    }
}

using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Consents;

public enum ConsentSwitchResult
{
    /// <summary>Not a purpose the customer switches themself (processing is withdrawn by closing the account).</summary>
    NotSwitchable,
    /// <summary>The switch was already in that position: nothing is recorded.</summary>
    Unchanged,
    Changed,
}

/// <summary>Where one optional consent stands: whether the customer agrees now, since when, and the words of that purpose.</summary>
public sealed record ConsentSwitch(ConsentPurpose Purpose, bool Agrees, DateTimeOffset? Since);

/// <summary>
/// The switches of the optional purposes (advertising by email, by SMS, transfer to third parties), the same for
/// the cabinet page and the app: each change is effective at once, a ledger record of the exact words shown in the
/// customer's language (with the channel it came by), and audited, all in one SaveChanges.
/// </summary>
public sealed class ConsentSwitches(DerbesDb db, ConsentLedger ledger, AuditTrail audit, Customers.AccountDirectory directory, Messaging.AccountMessages messages, IStringLocalizer<SharedResource> l)
{
    /// <summary>The purposes a customer switches themself; processing is withdrawn by closing the account.</summary>
    public static readonly ConsentPurpose[] Switchable = [ConsentPurpose.AdvertisingEmail, ConsentPurpose.AdvertisingSms, ConsentPurpose.ThirdPartyTransfer];

    /// <summary>The edition in force: the words of a consent are those of this edition.</summary>
    public async Task<int> EditionAsync(CancellationToken cancellationToken) =>
        await PolicyEdition.InForceAsync(db, cancellationToken);

    /// <summary>Every switch, a consent never given listed as "does not agree".</summary>
    public async Task<List<ConsentSwitch>> CurrentAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var current = await ledger.CurrentAsync(accountId, cancellationToken);
        return [.. Switchable.Select(p => current.TryGetValue(p, out var r) ? new ConsentSwitch(p, r.Granted, r.At) : new ConsentSwitch(p, false, null))];
    }

    /// <summary>The words beside a switch, in <paramref name="language"/>: what the ledger keeps the hash of.</summary>
    public string Wording(ConsentPurpose purpose, int edition, string language) => ConsentWording.Text(l, purpose, edition, language);

    /// <summary>
    /// Gives or withdraws one optional consent, in <paramref name="language"/> (default: the request's); a switch
    /// already in that position records nothing. <paramref name="reference"/> says what it came from (the campaign
    /// of an unsubscribe link, the message of an SMS reply).
    /// </summary>
    public async Task<ConsentSwitchResult> SwitchAsync(
        Guid accountId, ConsentPurpose purpose, bool agree, ConsentChannel channel, CancellationToken cancellationToken, string? language = null, string reference = "")
    {
        if (!Switchable.Contains(purpose))
        {
            return ConsentSwitchResult.NotSwitchable;
        }
        language = Languages.IsSupported(language) ? language! : Languages.Current;
        // The look at the current standing and the record that changes it are one step under the chain lock: two
        // opt-outs at once (a mail client's one-click POST and the customer's own click, or two instances) write one
        // withdrawal, and the other finds it already done.
        return await db.WithChainLockAsync(async ct =>
        {
            var current = (await ledger.CurrentAsync(accountId, ct)).GetValueOrDefault(purpose);
            if ((current?.Granted ?? false) == agree)
            {
                return ConsentSwitchResult.Unchanged;
            }
            var edition = await EditionAsync(ct);
            ledger.Record(accountId, purpose, agree, edition, language, Wording(purpose, edition, language), channel: channel, reference: reference);
            audit.Record("consent.changed", accountId, outcome: $"{purpose}:{(agree ? "granted" : "withdrawn")}");
            // Told by email, in the same unit of work: a change the customer did not make (a stolen session) does not go unnoticed.
            var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == accountId, ct);
            messages.ConsentChanged(account, directory.Open(account), purpose, agree);
            await db.SaveChangesAsync(ct);
            return ConsentSwitchResult.Changed;
        }, cancellationToken);
    }
}

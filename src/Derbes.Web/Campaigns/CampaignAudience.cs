using Derbes.Web.Calendar;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;

namespace Derbes.Web.Campaigns;

/// <summary>
/// Who a campaign goes to: customers whose account is active and confirmed (for SMS, with a confirmed phone), whose
/// latest consent record for the channel is a grant, and who match the campaign's language and registration
/// filters. Blocked, closing, unconfirmed and destroyed accounts are never in it. One query, for the size shown to
/// Marketing and for queueing alike; each message checks the account and the consent again when it leaves.
/// </summary>
public static class CampaignAudience
{
    public static IQueryable<Account> Of(DerbesDb db, Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        var purpose = campaign.Purpose;
        var sms = campaign.Channel == MessageChannel.Sms;
        var query = db.Users.Where(a => a.Kind == AccountKind.Customer && a.Status == AccountStatus.Active && a.EmailConfirmed
            && db.ConsentRecords.Where(c => c.AccountId == a.Id && c.Purpose == purpose).OrderByDescending(c => c.Id).Select(c => c.Granted).FirstOrDefault());
        if (sms)
        {
            query = query.Where(a => a.PhoneNumberConfirmed && a.PhoneIndex != null);
        }
        if (campaign.Language is { } language)
        {
            query = query.Where(a => a.PreferredLanguage == language);
        }
        if (campaign.RegisteredFrom is { } from)
        {
            var start = StartOf(from);
            query = query.Where(a => a.CreatedAt >= start);
        }
        if (campaign.RegisteredTo is { } to)
        {
            var end = StartOf(to.AddDays(1));
            query = query.Where(a => a.CreatedAt < end);
        }
        return query;
    }

    /// <summary>Midnight of <paramref name="day"/> in Almaty, as an instant.</summary>
    private static DateTimeOffset StartOf(DateOnly day) =>
        new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), WorkingCalendar.AlmatyOffset).ToUniversalTime();

    /// <summary>Whether one account may receive a campaign's message now: the checks made again as each message leaves.</summary>
    public static string? WhyNot(Account? account, Campaign campaign, ConsentRecord? latestConsent)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        if (account is not { Kind: AccountKind.Customer, Status: AccountStatus.Active, EmailConfirmed: true })
        {
            return "not sent: the account is no longer active";
        }
        if (campaign.Channel == MessageChannel.Sms && (!account.PhoneNumberConfirmed || account.SealedPhone is null))
        {
            return "not sent: no confirmed phone";
        }
        if (latestConsent is not { Granted: true })
        {
            return "not sent: consent withdrawn";
        }
        return null;
    }
}

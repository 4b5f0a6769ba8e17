using System.Globalization;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Messaging;

/// <summary>
/// Writes, at the moment of sending, the messages that were queued as a reference instead of a sealed payload
/// (a notice to every customer is queued a million rows at a time, and rendered one by one as the outbox sends
/// them). A customer who is no longer active by then gets nothing.
/// </summary>
public sealed class DeferredMessages(DerbesDb db, AccountDirectory directory, AccountMessages messages, Campaigns.CampaignMessages campaigns)
{
    public const string PolicyNotice = "policy-notice";

    // A batch of notices is mostly one edition: read it once per batch (this service lives for one batch).
    private readonly Dictionary<int, Privacy.PolicyEdition> _editions = [];

    /// <summary>Reads at once what the batch's messages will need (a campaign's recipients and their consents).</summary>
    public Task PrepareAsync(IReadOnlyCollection<OutboxMessage> batch, CancellationToken cancellationToken) =>
        campaigns.PrefetchAsync(batch, cancellationToken);

    /// <summary>The message to send, why it is no longer sent, or that it must wait (a campaign paused or outside its window).</summary>
    public async Task<Composition> ComposeAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Kind == Campaigns.CampaignSender.Kind)
        {
            return await campaigns.ComposeAsync(message, cancellationToken);
        }
        if (message.Kind != PolicyNotice || message.Reference is not { } reference || !reference.StartsWith("edition:", StringComparison.Ordinal)
            || !int.TryParse(reference["edition:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new InvalidOperationException($"Outbox message {message.Id} ({message.Kind}) has nothing to send.");
        }
        var account = await db.Users.AsNoTracking().SingleOrDefaultAsync(a => a.Id == message.AccountId, cancellationToken);
        if (account is not { Status: AccountStatus.Active, EmailConfirmed: true })
        {
            return Composition.Skip("not sent: the account is no longer active");
        }
        if (!_editions.TryGetValue(number, out var edition))
        {
            edition = await db.PolicyEditions.AsNoTracking().Include(e => e.Texts).SingleAsync(e => e.Number == number, cancellationToken);
            _editions[number] = edition;
        }
        var content = messages.PolicyNotice(account, directory.Open(account), edition);
        return Composition.Send(new MessagePayload(content.To, content.Subject, content.Text, content.Html));
    }
}

/// <summary>What the outbox does with a message written as it leaves: send it, record why not, or hold it back.</summary>
public sealed record Composition(MessagePayload? Payload, string? NotSent, bool Hold)
{
    public static readonly Composition HoldBack = new(null, null, true);

    public static Composition Send(MessagePayload payload) => new(payload, null, false);

    public static Composition Skip(string reason) => new(null, reason, false);
}


using System.Text.Json;
using System.Text.Json.Serialization;
using Derbes.Web.Data;
using Derbes.Web.Security;

namespace Derbes.Web.Messaging;

/// <summary>
/// What an email or SMS says and to whom; sealed inside the outbox row. A campaign's email also carries its
/// unsubscribe link and mailto address, sent as the List-Unsubscribe headers.
/// </summary>
public sealed record MessagePayload(string To, string? Subject, string Text, string? Html, string? Unsubscribe = null, string? UnsubscribeMailto = null);

[JsonSerializable(typeof(MessagePayload))]
internal sealed partial class MessagePayloadJson : JsonSerializerContext;

/// <summary>
/// Adds messages to the durable outbox in the caller's unit of work: they are saved with the change that
/// caused them (one SaveChanges), and delivered afterwards by <see cref="OutboxWorker"/>.
/// </summary>
public sealed class Outbox(DerbesDb db, PersonalDataVault vault, TimeProvider clock, OutboxSignal signal)
{
    public const string PayloadField = "outbox-payload";

    public void Email(Guid accountId, string kind, EmailContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        AddRow(accountId, MessageChannel.Email, kind, new MessagePayload(content.To, content.Subject, content.Text, content.Html));
    }

    /// <summary>A message already composed (a campaign's test send), as it is.</summary>
    public void Add(Guid accountId, MessageChannel channel, string kind, MessagePayload payload) => AddRow(accountId, channel, kind, payload);

    public void Sms(Guid accountId, string kind, string phoneE164, string text) =>
        AddRow(accountId, MessageChannel.Sms, kind, new MessagePayload(phoneE164, null, text, null));

    private void AddRow(Guid accountId, MessageChannel channel, string kind, MessagePayload payload)
    {
        var now = clock.GetUtcNow();
        db.Outbox.Add(new OutboxMessage
        {
            AccountId = accountId,
            Channel = channel,
            Kind = kind,
            SealedPayload = vault.Seal(accountId, PayloadField, JsonSerializer.SerializeToUtf8Bytes(payload, MessagePayloadJson.Default.MessagePayload)),
            CreatedAt = now,
            AvailableAt = now,
        });
        // Wakes the worker once the caller's transaction has had time to commit; the worker also polls.
        signal.Notify();
    }

    internal static MessagePayload ReadPayload(PersonalDataVault vault, OutboxMessage message) =>
        JsonSerializer.Deserialize(vault.Open(message.AccountId, PayloadField, message.SealedPayload!), MessagePayloadJson.Default.MessagePayload)
        ?? throw new InvalidOperationException("Empty outbox payload.");
}

/// <summary>A doorbell for the outbox worker, so a confirmation email leaves within a moment, not a poll interval.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _bell = new(0, 1);

    public void Notify()
    {
        try
        {
            if (_bell.CurrentCount == 0)
            {
                _bell.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already rung.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _bell.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _bell.Dispose();
}

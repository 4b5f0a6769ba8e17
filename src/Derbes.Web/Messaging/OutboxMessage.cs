namespace Derbes.Web.Messaging;

public enum MessageChannel
{
    Email = 0,
    Sms = 1,
}

/// <summary>
/// An email or SMS waiting to be delivered, written in the same transaction as the change that caused it.
/// The payload (address, text) is personal data, so it is sealed with the recipient's data key and erased
/// once delivered.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    public Guid AccountId { get; set; }
    public MessageChannel Channel { get; set; }
    /// <summary>What the message is (for example "confirm-email"); never its content.</summary>
    public string Kind { get; set; } = "";
    public byte[]? SealedPayload { get; set; }
    /// <summary>
    /// For a message written when it is sent (no sealed payload yet), what it is about, for example "edition:3":
    /// a notice to a million customers is queued as a reference, not a million rendered emails.
    /// </summary>
    public string? Reference { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset AvailableAt { get; set; }
    public int Attempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
}

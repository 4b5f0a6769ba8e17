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
    /// <summary>
    /// The availability of a message queued but not yet released (a campaign releases its messages at its pace, inside
    /// its window): no worker claims it until it is set to a real time.
    /// </summary>
    public static readonly DateTimeOffset Held = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The availability of a message given up after failing for too long: kept for the figures, never claimed.</summary>
    public static readonly DateTimeOffset GivenUp = DateTimeOffset.MaxValue.AddDays(-1);

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

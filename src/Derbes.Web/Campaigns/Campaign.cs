using Derbes.Web.Consents;
using Derbes.Web.Messaging;

namespace Derbes.Web.Campaigns;

/// <summary>What a campaign is for (policy 2.2.4: advertising, information, surveys); all three need the channel's consent.</summary>
public enum CampaignKind
{
    Advertising = 0,
    Information = 1,
    Survey = 2,
}

public enum CampaignStatus
{
    /// <summary>Being written: texts and audience can change; nothing is queued.</summary>
    Draft = 0,
    /// <summary>To start at <see cref="Campaign.ScheduledFor"/>.</summary>
    Scheduled = 1,
    /// <summary>Started: its messages are queued and released at the configured pace inside the sending window.</summary>
    Sending = 2,
    /// <summary>Stopped by staff; nothing more is released until resumed.</summary>
    Paused = 3,
    /// <summary>Every queued message was sent, skipped or given up.</summary>
    Completed = 4,
    /// <summary>Stopped for good: what was not yet sent never will be.</summary>
    Cancelled = 5,
}

/// <summary>
/// An advertising, information or survey mailing by email or SMS, written by Marketing in kk and ru (en optional)
/// and sent only to customers whose consent for the channel is active when each message leaves. Marketing sees
/// the audience's size and the figures, never a customer.
/// </summary>
public sealed class Campaign
{
    public const int MaxName = 200;
    public const int MaxSubject = 200;
    public const int MaxEmailBody = 20_000;
    public const int MaxSmsBody = 600;
    public static readonly string[] RequiredLanguages = ["kk", "ru"];

    public long Id { get; set; }
    /// <summary>For staff only (lists, figures); never shown to customers.</summary>
    public string Name { get; set; } = "";
    public CampaignKind Kind { get; set; }
    public MessageChannel Channel { get; set; }
    public CampaignStatus Status { get; set; }

    /// <summary>Only customers who prefer this language (kk, ru, en); null: all.</summary>
    public string? Language { get; set; }
    /// <summary>Only customers registered on or after this day (Asia/Almaty).</summary>
    public DateOnly? RegisteredFrom { get; set; }
    /// <summary>Only customers registered on or before this day (Asia/Almaty).</summary>
    public DateOnly? RegisteredTo { get; set; }

    public DateTimeOffset? ScheduledFor { get; set; }
    public Guid CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid? UpdatedBy { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? PausedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>Two members of staff changing the same campaign at once: the second finds it changed.</summary>
    public int Version { get; set; }

    public List<CampaignText> Texts { get; set; } = [];

    /// <summary>The consent every recipient must have, now and when their message leaves.</summary>
    public ConsentPurpose Purpose => PurposeOf(Channel);

    /// <summary>The consent that advertising, information and surveys by <paramref name="channel"/> need (policy 2.2.4).</summary>
    public static ConsentPurpose PurposeOf(MessageChannel channel) =>
        channel == MessageChannel.Sms ? ConsentPurpose.AdvertisingSms : ConsentPurpose.AdvertisingEmail;

    /// <summary>The outbox reference of this campaign's messages ("campaign:12").</summary>
    public string Reference => ReferenceOf(Id);

    public static string ReferenceOf(long id) => "campaign:" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static long? IdOf(string? reference) =>
        reference is not null && reference.StartsWith("campaign:", StringComparison.Ordinal)
            && long.TryParse(reference.AsSpan("campaign:".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id : null;

    public bool IsEditable => Status is CampaignStatus.Draft or CampaignStatus.Scheduled;

    /// <summary>The text in <paramref name="language"/>, or for a language without one (en is optional) the Russian text.</summary>
    public CampaignText? TextFor(string language) =>
        Texts.FirstOrDefault(t => t.Language == language && !t.IsEmpty) ?? Texts.FirstOrDefault(t => t.Language == "ru" && !t.IsEmpty);
}

/// <summary>One language's text: for email a subject and a Markdown body, for SMS the body alone.</summary>
public sealed class CampaignText
{
    public long CampaignId { get; set; }
    public string Language { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Body { get; set; } = "";

    public bool IsEmpty => string.IsNullOrWhiteSpace(Body);
}

/// <summary>
/// The machine's side of a started campaign, apart from the staff's <see cref="Campaign"/> so neither's concurrency
/// check trips the other: how far the audience has been queued (a cursor over customer numbers, moved by one instance at
/// a time) and when messages were last released.
/// </summary>
public sealed class CampaignRun
{
    public long CampaignId { get; set; }
    /// <summary>The customer number last queued; each batch must move it from where it found it (concurrency token).</summary>
    public string Cursor { get; set; } = "";
    /// <summary>Messages queued: the audience when the campaign started.</summary>
    public int Queued { get; set; }
    /// <summary>When every recipient was queued.</summary>
    public DateTimeOffset? PlannedAt { get; set; }
    /// <summary>When messages were last released to the outbox (concurrency token: one instance releases at a time).</summary>
    public DateTimeOffset ReleasedAt { get; set; }
}

using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Messaging;

public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    /// <summary>When empty, mail goes to the pickup folder instead of an SMTP server.</summary>
    public string? Host { get; set; }
    [Range(1, 65535)]
    public int Port { get; set; } = 587;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    /// <summary>StartTls when the server offers it; "None" only for a local relay or a test server.</summary>
    public string Security { get; set; } = "Auto";
}

public sealed class MailOptions
{
    public const string Section = "Mail";

    [Required, EmailAddress]
    public string From { get; set; } = "no-reply@small.kz";
    public string FromName { get; set; } = "SMALL";
    /// <summary>The pickup folder (relative to the data folder) used when no SMTP host is set.</summary>
    public string PickupDirectory { get; set; } = "mail";
}

public sealed class SmsOptions
{
    public const string Section = "Sms";

    public string PickupDirectory { get; set; } = "sms";

    /// <summary>
    /// The secret the SMS gateway signs its reply callbacks with (POST /sms/inbound, header X-Derbes-Signature:
    /// sha256=hex HMAC of the body); empty: no callback is accepted.
    /// </summary>
    public string? InboundSecret { get; set; }
}

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How often the worker looks for due messages when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 20;
    /// <summary>
    /// Failed deliveries are retried with exponential backoff (up to an hour apart) until the message is
    /// this old: an SMTP outage of up to three days loses nothing.
    /// </summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(3);
    public bool Enabled { get; set; } = true;
}

using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace Derbes.Web.Campaigns;

/// <summary>
/// The care mailbox that <see cref="MailboxOptOuts"/> reads over IMAP (<c>Unsubscribe:Imap</c>). Off while
/// <see cref="Host"/> is empty, the default: nothing connects anywhere.
/// </summary>
public sealed class MailboxOptions
{
    public const string Section = "Unsubscribe:Imap";

    /// <summary>The IMAP server of the care mailbox; empty: letters to the care address are only read by staff.</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 993;

    /// <summary>MailKit's name: <c>Auto</c> (TLS on 993, STARTTLS when offered elsewhere), <c>SslOnConnect</c>, <c>StartTls</c>; <c>None</c> only for a local test server.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    public string? User { get; set; }

    public string? Password { get; set; }

    /// <summary>Where letters to the care address arrive.</summary>
    [Required]
    public string Folder { get; set; } = "INBOX";

    /// <summary>Where applied opt-outs are moved once acknowledged (created when missing; '/' separates levels).</summary>
    [Required]
    public string DoneFolder { get; set; } = "Derbes/Applied";

    /// <summary>How often each instance reads the mailbox.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Unread letters examined per run at most; the rest wait for the next run.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

using System.Text.RegularExpressions;
using MimeKit;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>Reads the .eml files the app delivered to its pickup folder, as a mail client would.</summary>
public sealed partial class Mailbox(string folder)
{
    private readonly HashSet<string> _seen = [];

    /// <summary>Waits for the next unseen message to <paramref name="to"/> (and whose subject contains <paramref name="subject"/>).</summary>
    public async Task<MimeMessage> WaitForAsync(string to, string? subject = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            foreach (var message in Unseen())
            {
                if (message.Message.To.Mailboxes.Any(m => string.Equals(m.Address, to, StringComparison.OrdinalIgnoreCase))
                    && (subject is null || (message.Message.Subject ?? "").Contains(subject, StringComparison.OrdinalIgnoreCase)))
                {
                    _seen.Add(message.File);
                    return message.Message;
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"No message to {to}{(subject is null ? "" : $" about '{subject}'")} arrived.");
    }

    /// <summary>All messages delivered so far to <paramref name="to"/>, seen or not.</summary>
    public List<MimeMessage> All(string to) =>
        [.. Files().Select(Load).Where(m => m.To.Mailboxes.Any(x => string.Equals(x.Address, to, StringComparison.OrdinalIgnoreCase)))];

    public int Count => Files().Count();

    /// <summary>The first https link in the plain-text part that contains <paramref name="pathPart"/>.</summary>
    public static string Link(MimeMessage message, string pathPart)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.TextBody ?? "";
        return LinkPattern().Matches(text).Select(m => m.Value).First(l => l.Contains(pathPart, StringComparison.Ordinal));
    }

    private IEnumerable<(string File, MimeMessage Message)> Unseen() =>
        Files().Where(f => !_seen.Contains(f)).Order(StringComparer.Ordinal).Select(f => (f, Load(f)));

    private IEnumerable<string> Files() =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.eml") : [];

    private static MimeMessage Load(string file) => MimeMessage.Load(file);

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex LinkPattern();
}

/// <summary>Reads the SMS the app wrote to its pickup folder.</summary>
public sealed partial class SmsInbox(string folder)
{
    private readonly HashSet<string> _seen = [];

    public async Task<string> WaitForAsync(string phoneE164, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(folder))
            {
                foreach (var file in Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal))
                {
                    if (_seen.Contains(file))
                    {
                        continue;
                    }
                    var text = await File.ReadAllTextAsync(file);
                    if (text.StartsWith("To: " + phoneE164 + "\n", StringComparison.Ordinal))
                    {
                        _seen.Add(file);
                        return text[(text.IndexOf("\n\n", StringComparison.Ordinal) + 2)..].Trim();
                    }
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"No SMS to {phoneE164} arrived.");
    }

    public async Task<string> WaitForCodeAsync(string phoneE164, TimeSpan? timeout = null) =>
        CodePattern().Match(await WaitForAsync(phoneE164, timeout)).Value;

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex CodePattern();
}

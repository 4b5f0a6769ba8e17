using MimeKit;

namespace Derbes.Web.Customers;

/// <summary>
/// Whether an address can be written into an email: MimeKit, which builds every message, must read it back
/// as exactly the address typed. [EmailAddress] only counts the '@', so <c>a b@c.kz</c> passed it, the account
/// was created, and its confirmation email failed in the outbox (ParseException) until it was given up.
/// </summary>
public static class EmailAddresses
{
    public static bool IsDeliverable(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return false;
        }
        var trimmed = email.Trim();
        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == trimmed.LastIndexOf('@') && at < trimmed.Length - 1
            && MailboxAddress.TryParse(trimmed, out var mailbox)
            && string.Equals(mailbox.Address, trimmed, StringComparison.Ordinal);
    }
}

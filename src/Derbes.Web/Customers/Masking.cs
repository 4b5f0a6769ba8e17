namespace Derbes.Web.Customers;

/// <summary>Helpers for showing personal data without revealing it in full.</summary>
public static class Masking
{
    public static string Email(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0)
        {
            return "***";
        }
        var local = email[..at];
        var visible = local.Length <= 2 ? local[..1] : local[..2];
        // A fixed number of stars: the mask hides the length too.
        return visible + "***" + email[at..];
    }

    public static string Phone(string e164) =>
        e164.Length < 6 ? "***" : e164[..4] + new string('*', e164.Length - 6) + e164[^2..];
}

using System.Text;

namespace Derbes.Web.Disclosures;

/// <summary>One customer as a disclosure names them: a line of the uploaded list and what it says.</summary>
public sealed record ListedCustomer(int Line, string Identifier);

/// <summary>
/// The customers a disclosure concerns, typed in or uploaded as a CSV file: one customer per line, the first
/// column holding a customer number, an email address or a phone number; an optional header line; commas or
/// semicolons (as spreadsheets in Kazakhstan and Russia save them); quotes allowed.
/// </summary>
public static class CustomerList
{
    public const int MaxCustomers = 10_000;
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The identifiers in order, or null when the list is longer than <see cref="MaxCustomers"/>.</summary>
    public static List<ListedCustomer>? Parse(string? text)
    {
        var listed = new List<ListedCustomer>();
        var lines = (text ?? "").TrimStart('\uFEFF').Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var cell = FirstCell(lines[i]);
            if (cell.Length == 0)
            {
                continue;
            }
            // A header is a first line that names a column instead of a customer.
            if (listed.Count == 0 && i == 0 && !cell.Any(char.IsAsciiDigit) && !cell.Contains('@', StringComparison.Ordinal))
            {
                continue;
            }
            if (listed.Count == MaxCustomers)
            {
                return null;
            }
            listed.Add(new ListedCustomer(i + 1, cell.Length <= 254 ? cell : cell[..254]));
        }
        return listed;
    }

    /// <summary>Reads an uploaded file as UTF-8 (a byte order mark is ignored); null when it is too big or not text.</summary>
    public static async Task<string?> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Length > MaxBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.ToArray());
            return text.Contains('\0', StringComparison.Ordinal) ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static string FirstCell(string line)
    {
        var value = line.Trim().TrimEnd('\r');
        if (value.StartsWith('"'))
        {
            var close = value.IndexOf('"', 1);
            return (close < 0 ? value[1..] : value[1..close]).Trim();
        }
        var end = value.IndexOfAny([',', ';', '\t']);
        return (end < 0 ? value : value[..end]).Trim();
    }
}

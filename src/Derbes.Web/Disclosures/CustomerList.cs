using System.Globalization;
using System.Text;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

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

    /// <summary>
    /// Finds each listed customer: a ten-digit number is a customer number (they start with 1 or 2; a phone's
    /// national number starts with 7), an address with @ is an email, anything else must be a Kazakhstan mobile
    /// number. Returns the accounts (each once) and the lines that name no customer. Used by every register that
    /// names customers by a list (disclosures, breaches).
    /// </summary>
    public static async Task<(List<Account> Accounts, List<string> Unknown)> ResolveAsync(DerbesDb db, BlindIndex index, IReadOnlyList<ListedCustomer> listed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(listed);
        var byNumber = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var byEmail = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var byPhone = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var line in listed)
        {
            var text = line.Identifier;
            if (text.Length == 10 && text.All(char.IsAsciiDigit) && text[0] != '7')
            {
                Add(byNumber, text, line.Line);
            }
            else if (text.Contains('@', StringComparison.Ordinal))
            {
                Add(byEmail, index.Email(text), line.Line);
            }
            else if (KazakhPhone.TryNormalise(text, out var e164))
            {
                Add(byPhone, index.Phone(e164), line.Line);
            }
            else
            {
                unknown.Add(Line(line.Line));
            }
        }
        var numbers = byNumber.Keys.ToList();
        var emails = byEmail.Keys.ToList();
        var phones = byPhone.Keys.ToList();
        var found = new List<Account>();
        foreach (var chunk in numbers.Chunk(1000))
        {
            found.AddRange(await db.Users.AsNoTracking().Where(a => a.Kind == AccountKind.Customer && chunk.Contains(a.NormalizedUserName!)).ToListAsync(cancellationToken));
        }
        foreach (var chunk in emails.Chunk(1000))
        {
            found.AddRange(await db.Users.AsNoTracking().Where(a => a.Kind == AccountKind.Customer && chunk.Contains(a.EmailIndex)).ToListAsync(cancellationToken));
        }
        foreach (var chunk in phones.Chunk(1000))
        {
            found.AddRange(await db.Users.AsNoTracking().Where(a => a.Kind == AccountKind.Customer && chunk.Contains(a.PhoneIndex!)).ToListAsync(cancellationToken));
        }
        var numbersFound = found.Select(a => a.NormalizedUserName ?? "").ToHashSet(StringComparer.Ordinal);
        var emailsFound = found.Select(a => a.EmailIndex).ToHashSet(StringComparer.Ordinal);
        var phonesFound = found.Where(a => a.PhoneIndex is not null).Select(a => a.PhoneIndex!).ToHashSet(StringComparer.Ordinal);
        unknown.AddRange(byNumber.Where(p => !numbersFound.Contains(p.Key)).SelectMany(p => p.Value).Select(Line));
        unknown.AddRange(byEmail.Where(p => !emailsFound.Contains(p.Key)).SelectMany(p => p.Value).Select(Line));
        unknown.AddRange(byPhone.Where(p => !phonesFound.Contains(p.Key)).SelectMany(p => p.Value).Select(Line));
        unknown.Sort(StringComparer.Ordinal);
        return ([.. found.DistinctBy(a => a.Id)], unknown);

        static void Add(Dictionary<string, List<int>> map, string key, int line)
        {
            if (!map.TryGetValue(key, out var lines))
            {
                map[key] = lines = [];
            }
            lines.Add(line);
        }

        // The line's number, not its text: an email or phone from the list stays out of messages and logs.
        static string Line(int line) => line.ToString("D5", CultureInfo.InvariantCulture);
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

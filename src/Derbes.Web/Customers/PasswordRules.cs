using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

public enum PasswordProblem
{
    None,
    TooShort,
    TooLong,
    Common,
    ContainsPersonalData,
}

/// <summary>
/// NIST SP 800-63B style rules: a minimum length, a generous maximum, any characters, no composition rules;
/// refuse the 10,000 most common passwords and passwords built from the person's own email, phone or name.
/// </summary>
public sealed class PasswordRules
{
    private static readonly Lazy<HashSet<string>> CommonList = new(LoadCommon);
    private readonly AccountOptions _options;

    public PasswordRules(IOptions<AccountOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    public static int CommonCount => CommonList.Value.Count;

    public PasswordProblem Check(string? password, params string?[] personal)
    {
        ArgumentNullException.ThrowIfNull(personal);
        password ??= "";
        if (Encoding.UTF8.GetByteCount(password) > _options.MaxPasswordBytes)
        {
            return PasswordProblem.TooLong;
        }
        // Length counts what people see: text elements, so an emoji or a Kazakh letter with a mark is one.
        if (new StringInfo(password.Normalize(NormalizationForm.FormC)).LengthInTextElements < _options.MinPasswordLength)
        {
            return PasswordProblem.TooShort;
        }
        var lowered = password.ToLowerInvariant();
        if (CommonList.Value.Contains(lowered))
        {
            return PasswordProblem.Common;
        }
        foreach (var value in personal)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }
            var part = value.Trim().ToLowerInvariant();
            if (part.Length >= 3 && lowered.Contains(part, StringComparison.Ordinal))
            {
                return PasswordProblem.ContainsPersonalData;
            }
        }
        return PasswordProblem.None;
    }

    /// <summary>The personal parts a password must not contain: email local part, phone digits (national too), names.</summary>
    public static string?[] PersonalParts(string? email, string? phoneE164, string? firstName, string? lastName)
    {
        var local = email?.Split('@')[0];
        var national = phoneE164 is { Length: 12 } ? phoneE164[2..] : null;
        var digits = phoneE164?.TrimStart('+');
        return [local, digits, national, firstName, lastName];
    }

    private static HashSet<string> LoadCommon()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Derbes.Web.Customers.common-passwords.txt")
            ?? throw new InvalidOperationException("The common password list is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                set.Add(line.ToLowerInvariant());
            }
        }
        return set;
    }
}

using System.Globalization;
using System.Text;

namespace Derbes.Web.Documents;

/// <summary>
/// Cleans a client-supplied file name so that it can be kept as display metadata.
/// The result is never used as a storage path.
/// </summary>
public static class DocumentFileName
{
    public const string Fallback = "document";
    public const int MaxLength = 100;
    private const int MaxExtensionLength = 16;

    public static string Clean(string? original)
    {
        if (string.IsNullOrEmpty(original))
        {
            return Fallback;
        }

        var name = LastSegment(original);
        name = DropInvisible(name);
        name = CollapseWhitespace(name);
        name = name.Trim(' ', '.');
        name = Truncate(name);
        return name.Length == 0 ? Fallback : name;
    }

    private static string LastSegment(string value)
    {
        var slash = value.AsSpan().LastIndexOfAny('/', '\\');
        return slash < 0 ? value : value[(slash + 1)..];
    }

    // Drops control characters (NUL, tab, newlines, DEL, C1), format characters (such as the
    // right-to-left override used to disguise "scan\u202Efdp.exe") and unpaired surrogates.
    private static string DropInvisible(string value)
    {
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[i + 1]);
                i++;
                continue;
            }

            if (char.IsSurrogate(c) || char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                continue;
            }

            builder.Append(c);
        }

        return builder.ToString().Normalize(NormalizationForm.FormC);
    }

    private static string CollapseWhitespace(string value)
    {
        var builder = new StringBuilder(value.Length);
        var previousWasSpace = false;
        foreach (var c in value)
        {
            var isSpace = char.IsWhiteSpace(c) || char.IsSeparator(c);
            if (isSpace && !previousWasSpace)
            {
                builder.Append(' ');
            }
            else if (!isSpace)
            {
                builder.Append(c);
            }

            previousWasSpace = isSpace;
        }

        return builder.ToString();
    }

    // Keeps at most MaxLength characters without splitting a character made of several code
    // units, and keeps a short extension such as ".pdf" when the stem has to be shortened.
    private static string Truncate(string value)
    {
        if (value.Length <= MaxLength)
        {
            return value;
        }

        var dot = value.LastIndexOf('.');
        var extension = dot > 0 && value.Length - dot <= MaxExtensionLength ? value[dot..] : string.Empty;
        var stem = extension.Length == 0 ? value : value[..dot];
        stem = TakeTextElements(stem, MaxLength - extension.Length).TrimEnd(' ', '.');
        return stem.Length == 0 ? TakeTextElements(value, MaxLength).Trim(' ', '.') : stem + extension;
    }

    private static string TakeTextElements(string value, int maxLength)
    {
        var length = 0;
        var enumerator = StringInfo.GetTextElementEnumerator(value);
        while (enumerator.MoveNext())
        {
            var next = enumerator.ElementIndex + enumerator.GetTextElement().Length;
            if (next > maxLength)
            {
                break;
            }

            length = next;
        }

        return value[..length];
    }
}

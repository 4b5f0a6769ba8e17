namespace Derbes.Web.Documents;

/// <summary>
/// Finds PDF name tokens (such as <c>/JavaScript</c>) in raw bytes. A name starts at every
/// <c>/</c> and runs to the next white-space or delimiter character; <c>#xx</c> escapes are
/// decoded before comparing, so <c>/J#61vaScript</c> is found as <c>/JavaScript</c>.
/// </summary>
internal static class PdfNames
{
    // Longest name compared, decoded: "FileAttachment".
    private const int MaxComparedLength = 16;

    /// <summary>Longest encoded form a compared name can take (every byte escaped as #xx, plus the slash).</summary>
    public const int MaxEncodedLength = 1 + (3 * MaxComparedLength);

    /// <summary>
    /// Classifies every name in <paramref name="data"/>. When <paramref name="isFinal"/> is false,
    /// a name that runs into the end of the data is left for the next call, which must start
    /// at most <see cref="MaxEncodedLength"/> bytes earlier.
    /// </summary>
    public static PdfFindings Scan(ReadOnlySpan<byte> data, bool isFinal)
    {
        var findings = PdfFindings.None;
        Span<byte> name = stackalloc byte[MaxComparedLength + 1];
        var position = data.IndexOf((byte)'/');
        while (position >= 0)
        {
            var end = ReadName(data, position + 1, name, out var nameLength);
            if (end < data.Length || isFinal)
            {
                findings |= Classify(name[..nameLength]);
            }

            var next = data[end..].IndexOf((byte)'/');
            position = next < 0 ? -1 : end + next;
        }

        return findings;
    }

    /// <summary>
    /// Reads the name whose first byte (after the slash) is at <paramref name="start"/>, decoding escapes
    /// into <paramref name="name"/>. Returns the index just past the name; <paramref name="length"/> is
    /// clamped so an overlong name never equals one of the compared names.
    /// </summary>
    public static int ReadName(ReadOnlySpan<byte> data, int start, Span<byte> name, out int length)
    {
        length = 0;
        var i = start;
        while (i < data.Length && !IsWhiteSpace(data[i]) && !IsDelimiter(data[i]))
        {
            var b = data[i];
            if (b == (byte)'#' && i + 2 < data.Length && TryHex(data[i + 1], data[i + 2], out var decoded))
            {
                b = decoded;
                i += 3;
            }
            else
            {
                i++;
            }

            if (length < name.Length)
            {
                name[length++] = b;
            }
        }

        return i;
    }

    public static PdfFindings Classify(ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("JavaScript"u8) || name.SequenceEqual("JS"u8)
            || name.SequenceEqual("Launch"u8) || name.SequenceEqual("XFA"u8))
        {
            return PdfFindings.ActiveContent;
        }

        if (name.SequenceEqual("EmbeddedFile"u8) || name.SequenceEqual("EmbeddedFiles"u8)
            || name.SequenceEqual("FileAttachment"u8))
        {
            return PdfFindings.EmbeddedFiles;
        }

        return name.SequenceEqual("Encrypt"u8) ? PdfFindings.Encrypted : PdfFindings.None;
    }

    public static bool IsWhiteSpace(byte b) => b is 0x00 or 0x09 or 0x0A or 0x0C or 0x0D or 0x20;

    public static bool IsDelimiter(byte b) =>
        b is (byte)'(' or (byte)')' or (byte)'<' or (byte)'>' or (byte)'[' or (byte)']'
            or (byte)'{' or (byte)'}' or (byte)'/' or (byte)'%';

    private static bool TryHex(byte high, byte low, out byte value)
    {
        var h = HexValue(high);
        var l = HexValue(low);
        value = (byte)((h << 4) | l);
        return h >= 0 && l >= 0;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

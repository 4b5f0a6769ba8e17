using System.Buffers;
using System.IO.Compression;

namespace Derbes.Web.Documents;

/// <summary>
/// The parser-independent half of the PDF check: looks for the dangerous name tokens in the raw
/// bytes and in every zlib/Flate-compressed stream (object streams included), found by the
/// <c>stream</c> keyword rather than through the cross-reference table, so that objects a
/// parser would not list are seen too. Inflation is budgeted, and object and cross-reference
/// streams must use a filter whose output this scan has measured, so that the parser that runs
/// afterwards is never handed a decompression bomb.
/// </summary>
internal static class PdfRawScanner
{
    /// <summary>Most bytes inflated for one document, all streams together.</summary>
    public const long MaxInflatedBytes = 256L * 1024 * 1024;

    /// <summary>Most bytes one object stream or cross-reference stream may inflate to.</summary>
    public const long MaxStructureStreamBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Most zlib streams inflated for one document. Each attempt has a fixed cost, and a file can be
    /// packed with "stream" keywords followed by zlib headers; genuine documents have far fewer.
    /// </summary>
    public const int MaxCompressedStreams = 10_000;

    private const int MaxNestedFlate = 3;
    private const int DictionaryWindow = 4096;
    private const int ChunkSize = 64 * 1024;

    public static PdfFindings Scan(byte[] pdf, CancellationToken cancellationToken)
    {
        var findings = PdfNames.Scan(pdf, isFinal: true);
        var remaining = MaxInflatedBytes;
        var attempts = 0;
        var previousEnd = 0;
        var position = 0;
        while (position < pdf.Length)
        {
            var found = pdf.AsSpan(position).IndexOf("stream"u8);
            if (found < 0)
            {
                break;
            }

            var keyword = position + found;
            position = keyword + 6;
            if (keyword >= 3 && pdf.AsSpan(keyword - 3, 3).SequenceEqual("end"u8))
            {
                previousEnd = position;
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var start = position;
            while (start < pdf.Length && PdfNames.IsWhiteSpace(pdf[start]))
            {
                start++;
            }

            // The data is inflated up to the end of the zlib stream itself, not up to the next
            // "endstream": those bytes can sit inside compressed data, and a parser that trusts
            // /Length would read (and inflate) past them.
            var end = pdf.Length;
            var dictionary = DescribeDictionary(pdf, previousEnd, keyword);
            var hasZlibHeader = end - start >= 2 && IsZlibHeader(pdf[start], pdf[start + 1]);

            if (dictionary.IsStructural
                && (dictionary.Filter == StreamFilter.Other || (dictionary.Filter == StreamFilter.Flate && !hasZlibHeader)))
            {
                return findings | PdfFindings.Uncheckable;
            }

            if (hasZlibHeader)
            {
                if (++attempts > MaxCompressedStreams)
                {
                    return findings | PdfFindings.Uncheckable;
                }

                var limit = dictionary.IsStructural ? Math.Min(remaining, MaxStructureStreamBytes) : remaining;
                var produced = InflateAndScan(pdf, start, end, limit, ref findings, cancellationToken);
                if (produced < 0)
                {
                    return findings | PdfFindings.Uncheckable;
                }

                remaining -= produced;
            }

            // The search goes on right after the keyword, not after the data: a stray "stream"
            // (in a comment, say) must not hide the real streams that follow it.
        }

        return findings;
    }

    // Inflates the stream, and again while the output itself is zlib data (a filter chain such as
    // [/FlateDecode /FlateDecode]), scanning every level for names. Returns the bytes produced,
    // or -1 when that would exceed the limit.
    private static long InflateAndScan(byte[] pdf, int start, int end, long limit, ref PdfFindings findings, CancellationToken cancellationToken)
    {
        long produced = 0;
        for (var depth = 1; depth <= MaxNestedFlate; depth++)
        {
            Stream stream = new MemoryStream(pdf, start, end - start, writable: false);
            for (var i = 0; i < depth; i++)
            {
                stream = new ZLibStream(stream, CompressionMode.Decompress);
            }

            long bytes;
            bool nested;
            using (stream)
            {
                bytes = Drain(stream, limit - produced, ref findings, out nested, cancellationToken);
            }

            if (bytes < 0)
            {
                return -1;
            }

            produced += bytes;
            if (!nested)
            {
                break;
            }
        }

        return produced;
    }

    private static long Drain(Stream stream, long limit, ref PdfFindings findings, out bool startsWithZlibHeader, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize + PdfNames.MaxEncodedLength);
        try
        {
            long total = 0;
            var carry = 0;
            Span<byte> head = stackalloc byte[2];
            var headLength = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read;
                try
                {
                    read = stream.Read(buffer, carry, ChunkSize);
                }
                catch (InvalidDataException)
                {
                    read = 0; // corrupt or truncated data: scan what was inflated so far
                }

                if (read == 0)
                {
                    findings |= PdfNames.Scan(buffer.AsSpan(0, carry), isFinal: true);
                    startsWithZlibHeader = headLength == 2 && IsZlibHeader(head[0], head[1]);
                    return total;
                }

                for (var i = 0; i < read && headLength < 2; i++)
                {
                    head[headLength++] = buffer[carry + i];
                }

                total += read;
                if (total > limit)
                {
                    startsWithZlibHeader = false;
                    return -1;
                }

                var filled = carry + read;
                findings |= PdfNames.Scan(buffer.AsSpan(0, filled), isFinal: false);
                carry = Math.Min(PdfNames.MaxEncodedLength, filled);
                buffer.AsSpan(filled - carry, carry).CopyTo(buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // RFC 1950: compression method 8 (deflate), window up to 32 KiB, check bits, no preset dictionary.
    private static bool IsZlibHeader(byte cmf, byte flg) =>
        (cmf & 0x0F) == 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 == 0 && (flg & 0x20) == 0;

    private enum StreamFilter
    {
        None,
        Flate,
        Other,
    }

    private readonly record struct StreamDictionary(bool IsStructural, StreamFilter Filter);

    // A best-effort look at the dictionary in front of a "stream" keyword: the bytes since the
    // previous stream or object ended, at most DictionaryWindow of them. It tells object streams
    // and cross-reference streams (the streams a parser decodes on its own) and their filters.
    private static StreamDictionary DescribeDictionary(byte[] pdf, int previousEnd, int keyword)
    {
        var from = Math.Max(previousEnd, keyword - DictionaryWindow);
        var window = pdf.AsSpan(from, keyword - from);
        var lastEndObj = window.LastIndexOf("endobj"u8);
        if (lastEndObj >= 0)
        {
            window = window[(lastEndObj + 6)..];
        }

        var isStructural = false;
        var flateCount = 0;
        var otherCount = 0;
        Span<byte> name = stackalloc byte[32];
        var position = window.IndexOf((byte)'/');
        while (position >= 0)
        {
            var end = PdfNames.ReadName(window, position + 1, name, out var length);
            var current = name[..length];
            if (current.SequenceEqual("ObjStm"u8) || current.SequenceEqual("XRef"u8))
            {
                isStructural = true;
            }
            else if (current.SequenceEqual("Filter"u8))
            {
                end = ReadFilterValue(window, end, ref flateCount, ref otherCount);
            }

            var next = end < window.Length ? window[end..].IndexOf((byte)'/') : -1;
            position = next < 0 ? -1 : end + next;
        }

        var filter = otherCount > 0 || flateCount > 1 ? StreamFilter.Other
            : flateCount == 1 ? StreamFilter.Flate
            : StreamFilter.None;
        return new StreamDictionary(isStructural, filter);
    }

    // Reads a /Filter value: one name, or an array of names. Anything else (an indirect
    // reference, for example) counts as an unknown filter.
    private static int ReadFilterValue(ReadOnlySpan<byte> window, int position, ref int flateCount, ref int otherCount)
    {
        while (position < window.Length && PdfNames.IsWhiteSpace(window[position]))
        {
            position++;
        }

        if (position >= window.Length)
        {
            otherCount++;
            return position;
        }

        var isArray = window[position] == (byte)'[';
        if (isArray)
        {
            position++;
        }

        Span<byte> name = stackalloc byte[32];
        while (position < window.Length)
        {
            var b = window[position];
            if (PdfNames.IsWhiteSpace(b))
            {
                position++;
            }
            else if (b == (byte)'/')
            {
                position = PdfNames.ReadName(window, position + 1, name, out var length);
                var current = name[..length];
                if (current.SequenceEqual("FlateDecode"u8) || current.SequenceEqual("Fl"u8))
                {
                    flateCount++;
                }
                else
                {
                    otherCount++;
                }

                if (!isArray)
                {
                    return position;
                }
            }
            else if (isArray && b == (byte)']')
            {
                return position + 1;
            }
            else
            {
                otherCount++;
                return position;
            }
        }

        otherCount++;
        return position;
    }
}

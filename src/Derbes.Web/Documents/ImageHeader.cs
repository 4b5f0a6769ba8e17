using System.Buffers.Binary;

namespace Derbes.Web.Documents;

/// <summary>
/// Reads the pixel size an image claims in its header (PNG IHDR, JPEG SOFn) without decoding
/// anything, so that oversized images are refused before any pixel memory is allocated.
/// </summary>
internal static class ImageHeader
{
    public static bool TryReadSize(DocumentKind kind, ReadOnlySpan<byte> content, out int width, out int height) => kind switch
    {
        DocumentKind.Png => TryReadPng(content, out width, out height),
        DocumentKind.Jpeg => TryReadJpeg(content, out width, out height),
        _ => Fail(out width, out height),
    };

    // PNG: 8-byte signature, then the IHDR chunk (length 13, type "IHDR", width, height as big-endian uint32).
    private static bool TryReadPng(ReadOnlySpan<byte> content, out int width, out int height)
    {
        if (content.Length < 33
            || BinaryPrimitives.ReadUInt32BigEndian(content[8..]) != 13
            || !content.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return Fail(out width, out height);
        }

        var w = BinaryPrimitives.ReadUInt32BigEndian(content[16..]);
        var h = BinaryPrimitives.ReadUInt32BigEndian(content[20..]);
        if (w is 0 or > int.MaxValue || h is 0 or > int.MaxValue)
        {
            return Fail(out width, out height);
        }

        width = (int)w;
        height = (int)h;
        return true;
    }

    // JPEG: walk the marker segments after SOI up to the first start-of-frame (SOF0..SOF15 except
    // DHT, JPG and DAC), which holds precision, height and width. Segments such as APP1 (EXIF,
    // which may embed a thumbnail with its own SOF) are skipped by their length.
    private static bool TryReadJpeg(ReadOnlySpan<byte> content, out int width, out int height)
    {
        var position = 2;
        while (position + 4 <= content.Length)
        {
            if (content[position] != 0xFF)
            {
                return Fail(out width, out height);
            }

            var marker = content[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                position += 2; // stand-alone markers without a length
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                break; // end of image or start of scan before any frame header
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(content[(position + 2)..]);
            if (length < 2 || position + 2 + length > content.Length)
            {
                break;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (length < 7)
                {
                    break;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(content[(position + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(content[(position + 7)..]);
                return width > 0 && height > 0;
            }

            position += 2 + length;
        }

        return Fail(out width, out height);
    }

    private static bool Fail(out int width, out int height)
    {
        width = 0;
        height = 0;
        return false;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using SkiaSharp;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Derbes.Tests.Documents;

/// <summary>
/// Builds sample uploads in memory, good and hostile, for unit and integration tests.
/// Nothing here is read from disk, and the EICAR string is assembled at run time.
/// </summary>
public static class SampleFiles
{
    /// <summary>A string placed in the GPS block of <see cref="JpegWithGps"/>; it must not survive inspection.</summary>
    public const string GpsMarker = "DERBES-GPS-MARKER-43.2389N-76.8897E";

    /// <summary>A string placed in the tEXt chunk of <see cref="PngWithTextChunk"/>; it must not survive inspection.</summary>
    public const string PngTextMarker = "DERBES-PNG-TEXT-MARKER";

    private const string PageContent = "BT /F1 24 Tf 72 720 Td (Derbes) Tj ET";

    // ---------------------------------------------------------------- PDF

    /// <summary>A valid one-page PDF 1.4 with a classic cross-reference table and no active content.</summary>
    public static byte[] MinimalPdf() => BuildPdf(catalogExtra: "", pageExtra: "");

    /// <summary>A PDF that runs JavaScript when opened (/OpenAction with /S /JavaScript).</summary>
    public static byte[] PdfWithJavaScript() =>
        BuildPdf(catalogExtra: "/OpenAction << /S /JavaScript /JS (app.alert\\('Derbes'\\);) >>", pageExtra: "");

    /// <summary>A PDF whose JavaScript action is written with #xx escapes: /S /J#61vaScript /J#53.</summary>
    public static byte[] PdfWithHexEscapedJavaScript() =>
        BuildPdf(catalogExtra: "/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\);) >>", pageExtra: "");

    /// <summary>A PDF with a document-level /JavaScript name tree.</summary>
    public static byte[] PdfWithJavaScriptNameTree() =>
        BuildPdf(
            catalogExtra: "/Names << /JavaScript << /Names [(init) 6 0 R] >> >>",
            pageExtra: "",
            "<< /S /JavaScript /JS (app.alert\\(1\\);) >>");

    /// <summary>A PDF with a form field (widget annotation) whose keystroke action (/AA /K) is JavaScript.</summary>
    public static byte[] PdfWithFormFieldJavaScript() =>
        BuildPdf(
            catalogExtra: "/AcroForm << /Fields [6 0 R] >>",
            pageExtra: "/Annots [6 0 R]",
            "<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [72 600 300 620] /P 3 0 R /AA << /K << /S /JavaScript /JS (event.rc = true;) >> >> >>");

    /// <summary>A PDF whose open action launches a program.</summary>
    public static byte[] PdfWithLaunchAction() =>
        BuildPdf(catalogExtra: "/OpenAction << /S /Launch /F (cmd.exe) >>", pageExtra: "");

    /// <summary>A PDF whose only JavaScript sits in the catalog inside a Flate-compressed object stream.</summary>
    public static byte[] PdfWithJavaScriptInObjectStream() =>
        BuildObjectStreamPdf("/OpenAction << /S /JavaScript /JS (app.alert\\(1\\);) >>", "/FlateDecode", FlateObjectStream);

    /// <summary>A valid PDF 1.5 that keeps its objects in a Flate-compressed object stream, with no active content.</summary>
    public static byte[] PdfWithObjectStream() => BuildObjectStreamPdf("", "/FlateDecode", FlateObjectStream);

    /// <summary>A PDF 1.5 whose object stream uses ASCIIHexDecode, a filter the raw scan does not measure.</summary>
    public static byte[] PdfWithHexEncodedObjectStream() =>
        BuildObjectStreamPdf("", "/ASCIIHexDecode", (header, bodies) => (Encoding.ASCII.GetBytes(Convert.ToHexString([.. header, .. bodies]) + ">"), header.Length));

    /// <summary>
    /// A PDF 1.5 whose Flate object stream holds its objects and then <paramref name="trailingZeros"/> zero bytes,
    /// and whose compressed data begins with a stored deflate block containing the bytes "endstream",
    /// so that a scan which stops at the first "endstream" sees only a sliver of it.
    /// </summary>
    public static byte[] PdfWithEndstreamInsideCompressedObjectStream(long trailingZeros = 40L * 1024 * 1024) =>
        BuildObjectStreamPdf("", "/FlateDecode", (header, bodies) => StoredPrefixObjectStream(header, bodies, trailingZeros));

    /// <summary>A PDF with an /EmbeddedFiles name tree holding one attached file.</summary>
    public static byte[] PdfWithEmbeddedFiles() =>
        BuildPdf(
            catalogExtra: "/Names << /EmbeddedFiles << /Names [(payload.txt) 6 0 R] >> >>",
            pageExtra: "",
            "<< /Type /Filespec /F (payload.txt) /EF << /F 7 0 R >> >>",
            StreamObject("/Type /EmbeddedFile", "hello"u8.ToArray()));

    /// <summary>A PDF with a FileAttachment annotation on its page.</summary>
    public static byte[] PdfWithFileAttachmentAnnotation() =>
        BuildPdf(
            catalogExtra: "",
            pageExtra: "/Annots [6 0 R]",
            "<< /Type /Annot /Subtype /FileAttachment /Rect [72 600 90 620] /FS 7 0 R >>",
            "<< /Type /Filespec /F (payload.txt) /EF << /F 8 0 R >> >>",
            StreamObject("/Type /EmbeddedFile", "hello"u8.ToArray()));

    /// <summary>A PDF whose trailer names an /Encrypt dictionary (standard security handler).</summary>
    public static byte[] EncryptedPdf() =>
        BuildPdfWithTrailer(
            catalogExtra: "",
            pageExtra: "",
            trailerExtra: "/Encrypt 6 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]",
            ["<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + new string('A', 64) + "> /U <" + new string('B', 64) + "> >>"]);

    /// <summary>A PDF holding a Flate stream that inflates to more than the inspector is willing to inflate.</summary>
    public static byte[] PdfWithDeflateBomb(long inflatedBytes = 300L * 1024 * 1024) =>
        BuildPdf(catalogExtra: "", pageExtra: "", StreamObject("/Filter /FlateDecode", Deflate(new byte[1024 * 1024], inflatedBytes)));

    /// <summary>
    /// A valid PDF with one extra stream whose data is <paramref name="count"/> copies of
    /// "stream" followed by a tiny, valid zlib stream: cheap to write, costly to scan one by one.
    /// </summary>
    public static byte[] PdfPackedWithCompressedStreams(int count = 10_001)
    {
        byte[] unit = [.. "stream\n"u8, .. Deflate(" "u8.ToArray(), 1)];
        var data = new byte[unit.Length * count];
        for (var i = 0; i < count; i++)
        {
            unit.CopyTo(data, i * unit.Length);
        }

        return BuildPdf(catalogExtra: "", pageExtra: "", StreamObject("", data));
    }

    /// <summary>A PDF made by PdfPig's own writer (Flate-compressed content, as real producers write).</summary>
    public static byte[] PdfFromPdfPigBuilder()
    {
        using var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(PageSize.A4);
        page.AddText("Derbes identity document", 12, new PdfPoint(72, 720), font);
        return builder.Build();
    }

    /// <summary>
    /// A scanned document as scanners and phone apps make it: each page one JPEG picture (640 × 320, the four
    /// quadrants of <see cref="SmallJpeg"/>) placed on an A4 page.
    /// </summary>
    public static byte[] ScannedPdf(int pages = 2)
    {
        using var builder = new PdfDocumentBuilder();
        var scan = Encode(QuadrantBitmap(640, 320), SKEncodedImageFormat.Jpeg);
        for (var i = 0; i < pages; i++)
        {
            builder.AddPage(PageSize.A4).AddJpeg(scan, new PdfRectangle(50, 400, 550, 650));
        }
        return builder.Build();
    }

    /// <summary>Starts like a PDF and is nothing else.</summary>
    public static byte[] BrokenPdf() => Encoding.ASCII.GetBytes("%PDF-1.7\nthis is not a PDF body at all\n%%EOF\n");

    // ---------------------------------------------------------------- images

    /// <summary>A small valid PNG (16 × 8, opaque red and blue halves).</summary>
    public static byte[] SmallPng() => Encode(TwoColourBitmap(16, 8), SKEncodedImageFormat.Png);

    /// <summary>
    /// A small valid JPEG, 64 × 32, in four coloured quadrants: red top left, blue top right,
    /// green bottom left, black bottom right (quadrants align with JPEG blocks, so colours stay clean).
    /// </summary>
    public static byte[] SmallJpeg() => Encode(QuadrantBitmap(64, 32), SKEncodedImageFormat.Jpeg);

    /// <summary>A JPEG with an EXIF APP1 segment carrying GPS coordinates and <see cref="GpsMarker"/>.</summary>
    public static byte[] JpegWithGps() => SpliceExif(SmallJpeg(), orientation: 1, withGps: true);

    /// <summary>
    /// <see cref="SmallJpeg"/> with an EXIF orientation (1-8) saying how to turn it for display:
    /// 6 means "rotate 90° clockwise", so the upright image is 32 × 64 with green top left and red top right.
    /// </summary>
    public static byte[] JpegWithOrientation(ushort orientation) => SpliceExif(SmallJpeg(), orientation, withGps: false);

    /// <summary>A PNG with a tEXt chunk holding <see cref="PngTextMarker"/>.</summary>
    public static byte[] PngWithTextChunk()
    {
        var png = SmallPng();
        var text = PngChunk("tEXt", Encoding.Latin1.GetBytes("Comment\0" + PngTextMarker));
        return [.. png.AsSpan(0, 33), .. text, .. png.AsSpan(33)]; // right after IHDR
    }

    /// <summary>A PNG whose IHDR claims 50,000 × 50,000 pixels (10 GB decoded) with a valid CRC.</summary>
    public static byte[] PngWithHugeHeader(int width = 50_000, int height = 50_000)
    {
        var png = SmallPng();
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    /// <summary>A JPEG whose frame header (SOF) claims 60,000 × 60,000 pixels.</summary>
    public static byte[] JpegWithHugeHeader()
    {
        var jpeg = SmallJpeg();
        var sof = FindJpegSegment(jpeg, marker => marker is 0xC0 or 0xC1 or 0xC2);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 60_000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 60_000);
        return jpeg;
    }

    /// <summary>A PNG with a valid signature and header whose image data is garbage.</summary>
    public static byte[] CorruptPng()
    {
        var png = SmallPng();
        var garbage = PngChunk("IDAT", Encoding.ASCII.GetBytes("definitely not zlib data, just words"));
        return [.. png.AsSpan(0, 33), .. garbage, .. PngChunk("IEND", [])];
    }

    /// <summary>The first half of a valid JPEG.</summary>
    public static byte[] TruncatedJpeg()
    {
        var jpeg = SmallJpeg();
        return jpeg[..(jpeg.Length / 2)];
    }

    // ---------------------------------------------------------------- not allowed

    /// <summary>The 68-byte EICAR anti-virus test file.</summary>
    public static byte[] Eicar() =>
        [.. "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"u8, .. "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"u8];

    /// <summary>The EICAR string behind a PDF header.</summary>
    public static byte[] EicarAfterPdfHeader() => [.. "%PDF-1.4\n"u8, .. Eicar(), .. "\n%%EOF\n"u8];

    /// <summary>The start of a Windows PE executable (MZ header, DOS stub, PE signature), as if renamed to .pdf.</summary>
    public static byte[] WindowsExe()
    {
        var exe = new byte[512];
        "MZ"u8.CopyTo(exe);
        BinaryPrimitives.WriteInt32LittleEndian(exe.AsSpan(0x3C), 0x80);
        "This program cannot be run in DOS mode.\r\r\n$"u8.CopyTo(exe.AsSpan(0x4E));
        "PE\0\0"u8.CopyTo(exe.AsSpan(0x80));
        return exe;
    }

    /// <summary>An SVG with a script.</summary>
    public static byte[] Svg() =>
        Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(document.cookie)</script></svg>");

    /// <summary>An SVG with an XML declaration.</summary>
    public static byte[] SvgWithXmlDeclaration() =>
        Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>");

    /// <summary>An SVG behind a UTF-8 byte order mark and white space.</summary>
    public static byte[] SvgWithBomAndWhitespace() => [0xEF, 0xBB, 0xBF, .. "\r\n  \t<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8];

    /// <summary>An HTML page with a script.</summary>
    public static byte[] Html() => "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"u8.ToArray();

    /// <summary>An HTML page with a PDF header after some white space, which lenient readers accept as a PDF.</summary>
    public static byte[] PdfHeaderAfterWhitespace() => [.. "  \n"u8, .. MinimalPdf()];

    /// <summary>The start of a ZIP archive.</summary>
    public static byte[] Zip() => [.. "PK\x03\x04"u8, .. new byte[26], .. "payload.exe"u8];

    /// <summary>A 1 × 1 GIF.</summary>
    public static byte[] Gif() => Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    /// <summary>The start of a WebP image.</summary>
    public static byte[] WebP() => [.. "RIFF"u8, 0x1A, 0, 0, 0, .. "WEBPVP8L"u8, 0x0D, 0, 0, 0, 0x2F, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07, 0x00];

    // ---------------------------------------------------------------- PDF writing

    private static byte[] BuildPdf(string catalogExtra, string pageExtra, params object[] extraObjects) =>
        BuildPdfWithTrailer(catalogExtra, pageExtra, trailerExtra: "", extraObjects);

    // Objects 1-5 are catalog, pages, page, content stream and font; extra objects are numbered from 6.
    // Each object is a string (a direct object) or a byte[] (a whole "<< >> stream ... endstream").
    private static byte[] BuildPdfWithTrailer(string catalogExtra, string pageExtra, string trailerExtra, object[] extraObjects)
    {
        object[] objects =
        [
            $"<< /Type /Catalog /Pages 2 0 R {catalogExtra} >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> {pageExtra} >>",
            StreamObject("", Encoding.ASCII.GetBytes(PageContent)),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            .. extraObjects,
        ];

        using var output = new MemoryStream();
        Write(output, "%PDF-1.4\n%\u00E2\u00E3\u00CF\u00D3\n");
        var offsets = new long[objects.Length];
        for (var i = 0; i < objects.Length; i++)
        {
            offsets[i] = output.Position;
            Write(output, $"{i + 1} 0 obj\n");
            if (objects[i] is byte[] bytes)
            {
                output.Write(bytes);
            }
            else
            {
                Write(output, (string)objects[i]);
            }

            Write(output, "\nendobj\n");
        }

        var xref = output.Position;
        Write(output, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            Write(output, $"{offset:D10} 00000 n \n");
        }

        Write(output, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R {trailerExtra} >>\nstartxref\n{xref}\n%%EOF\n");
        return output.ToArray();
    }

    // A PDF 1.5 with a cross-reference stream: objects 1, 2, 3 and 5 live in object stream 6,
    // the content stream is object 4 and the cross-reference stream is object 7.
    private static byte[] BuildObjectStreamPdf(
        string catalogExtra, string objectStreamFilter, Func<byte[], byte[], (byte[] Data, int First)> encode)
    {
        (int Number, string Body)[] compressed =
        [
            (1, $"<< /Type /Catalog /Pages 2 0 R {catalogExtra} >>"),
            (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
            (5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        ];

        var header = new StringBuilder();
        var bodies = new StringBuilder();
        foreach (var (number, body) in compressed)
        {
            header.Append(CultureInfo.InvariantCulture, $"{number} {bodies.Length} ");
            bodies.Append(body).Append('\n');
        }

        var (encoded, first) = encode(Encoding.ASCII.GetBytes(header.ToString()), Encoding.ASCII.GetBytes(bodies.ToString()));
        var objectStream = StreamObject($"/Type /ObjStm /N {compressed.Length} /First {first} /Filter {objectStreamFilter}", encoded);

        using var output = new MemoryStream();
        Write(output, "%PDF-1.5\n%\u00E2\u00E3\u00CF\u00D3\n");
        var contentOffset = output.Position;
        Write(output, "4 0 obj\n");
        output.Write(StreamObject("", Encoding.ASCII.GetBytes(PageContent)));
        Write(output, "\nendobj\n");
        var objectStreamOffset = output.Position;
        Write(output, "6 0 obj\n");
        output.Write(objectStream);
        Write(output, "\nendobj\n");
        var xrefOffset = output.Position;

        // Entries: type (1 byte), field 2 (4 bytes), field 3 (2 bytes).
        var entries = new byte[8 * 7];
        void Entry(int number, byte type, long field2, int field3)
        {
            var entry = entries.AsSpan(number * 7, 7);
            entry[0] = type;
            BinaryPrimitives.WriteUInt32BigEndian(entry[1..], (uint)field2);
            BinaryPrimitives.WriteUInt16BigEndian(entry[5..], (ushort)field3);
        }

        Entry(0, 0, 0, 0xFFFF);
        for (var index = 0; index < compressed.Length; index++)
        {
            Entry(compressed[index].Number, 2, 6, index);
        }

        Entry(4, 1, contentOffset, 0);
        Entry(6, 1, objectStreamOffset, 0);
        Entry(7, 1, xrefOffset, 0);
        Write(output, "7 0 obj\n");
        output.Write(StreamObject("/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R", entries));
        Write(output, $"\nendobj\nstartxref\n{xrefOffset}\n%%EOF\n");
        return output.ToArray();
    }

    private static (byte[] Data, int First) FlateObjectStream(byte[] header, byte[] bodies)
    {
        byte[] plain = [.. header, .. bodies];
        return (Deflate(plain, plain.Length), header.Length);
    }

    // zlib data made of a stored (uncompressed) block holding the object numbers and a comment
    // "% endstream", then an ordinary deflate of the objects followed by trailing zeros.
    private static (byte[] Data, int First) StoredPrefixObjectStream(byte[] header, byte[] bodies, long trailingZeros)
    {
        byte[] stored = [.. header, .. "% endstream\n"u8];
        using var rest = new MemoryStream();
        using (var deflate = new DeflateStream(rest, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(bodies);
            var zeros = new byte[1024 * 1024];
            for (var written = 0L; written < trailingZeros; written += zeros.Length)
            {
                deflate.Write(zeros, 0, (int)Math.Min(zeros.Length, trailingZeros - written));
            }
        }

        var adler = Adler32(Adler32(Adler32(1, stored), bodies), zeros: trailingZeros);
        using var output = new MemoryStream();
        output.Write([0x78, 0x01, 0x00]); // zlib header; stored block, not final
        output.Write(BitConverter.GetBytes((ushort)stored.Length));
        output.Write(BitConverter.GetBytes((ushort)~stored.Length));
        output.Write(stored);
        rest.WriteTo(output);
        var checksum = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(checksum, adler);
        output.Write(checksum);
        return (output.ToArray(), stored.Length);
    }

    private static uint Adler32(uint adler, ReadOnlySpan<byte> data = default, long zeros = 0)
    {
        uint a = adler & 0xFFFF, b = adler >> 16;
        foreach (var value in data)
        {
            a = (a + value) % 65521;
            b = (b + a) % 65521;
        }

        b = (uint)((b + ((ulong)a * (ulong)(zeros % 65521))) % 65521); // zeros leave a unchanged
        return (b << 16) | a;
    }

    private static byte[] StreamObject(string dictionaryEntries, byte[] data) =>
        [.. Encoding.ASCII.GetBytes($"<< {dictionaryEntries} /Length {data.Length} >>\nstream\n"), .. data, .. "\nendstream"u8];

    private static void Write(Stream output, string text) => output.Write(Encoding.Latin1.GetBytes(text));

    // zlib-compresses `length` bytes made of `pattern` repeated.
    private static byte[] Deflate(byte[] pattern, long length)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var written = 0L; written < length; written += pattern.Length)
            {
                zlib.Write(pattern, 0, (int)Math.Min(pattern.Length, length - written));
            }
        }

        return output.ToArray();
    }

    // ---------------------------------------------------------------- image writing

    private static SKBitmap TwoColourBitmap(int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Red);
        using var blue = new SKPaint { Color = SKColors.Blue };
        canvas.DrawRect(width / 2, 0, width - (width / 2), height, blue);
        return bitmap;
    }

    private static SKBitmap QuadrantBitmap(int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Black);
        (SKColor Colour, SKRect Area)[] quadrants =
        [
            (SKColors.Red, SKRect.Create(0, 0, width / 2, height / 2)),
            (SKColors.Blue, SKRect.Create(width / 2, 0, width / 2, height / 2)),
            (new SKColor(0, 255, 0), SKRect.Create(0, height / 2, width / 2, height / 2)),
        ];
        foreach (var (colour, area) in quadrants)
        {
            using var paint = new SKPaint { Color = colour };
            canvas.DrawRect(area, paint);
        }

        return bitmap;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using (bitmap)
        using (var data = bitmap.Encode(format, 95))
        {
            return data.ToArray();
        }
    }

    // Inserts an APP1 "Exif" segment right after SOI: IFD0 with Orientation and, optionally,
    // a GPS IFD (latitude, longitude, map datum = GpsMarker).
    private static byte[] SpliceExif(byte[] jpeg, ushort orientation, bool withGps)
    {
        using var tiff = new MemoryStream();
        using var writer = new BinaryWriter(tiff);
        writer.Write("II"u8);
        writer.Write((ushort)42);
        writer.Write(8u); // IFD0 offset

        const int ifd0Size = 2 + (2 * 12) + 4;
        const int gpsIfdOffset = 8 + ifd0Size;
        const int gpsIfdSize = 2 + (6 * 12) + 4;
        const int gpsData = gpsIfdOffset + gpsIfdSize;
        var marker = Encoding.ASCII.GetBytes(GpsMarker + "\0");

        writer.Write((ushort)(withGps ? 2 : 1));
        Tag(writer, 0x0112, 3, 1, orientation); // Orientation, SHORT
        if (withGps)
        {
            Tag(writer, 0x8825, 4, 1, gpsIfdOffset); // GPSInfo IFD pointer, LONG
        }

        writer.Write(0u); // no next IFD
        if (withGps)
        {
            while (tiff.Length < gpsIfdOffset)
            {
                writer.Write((byte)0);
            }

            writer.Write((ushort)6);
            Tag(writer, 0x0000, 1, 4, 0x00000302); // GPSVersionID 2.3.0.0
            Tag(writer, 0x0001, 2, 2, 'N'); // GPSLatitudeRef
            Tag(writer, 0x0002, 5, 3, gpsData); // GPSLatitude, 3 RATIONAL
            Tag(writer, 0x0003, 2, 2, 'E'); // GPSLongitudeRef
            Tag(writer, 0x0004, 5, 3, gpsData + 24); // GPSLongitude, 3 RATIONAL
            Tag(writer, 0x0012, 2, (uint)marker.Length, gpsData + 48); // GPSMapDatum, ASCII
            writer.Write(0u);
            foreach (var (numerator, denominator) in new (uint, uint)[] { (43, 1), (14, 1), (2004, 100), (76, 1), (53, 1), (2292, 100) })
            {
                writer.Write(numerator);
                writer.Write(denominator);
            }

            writer.Write(marker);
        }

        writer.Flush();
        byte[] payload = [.. "Exif\0\0"u8, .. tiff.ToArray()];
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    private static void Tag(BinaryWriter writer, ushort tag, ushort type, uint count, uint value)
    {
        writer.Write(tag);
        writer.Write(type);
        writer.Write(count);
        writer.Write(value); // values of up to 4 bytes sit left-aligned in this field (little-endian)
    }

    private static int FindJpegSegment(byte[] jpeg, Func<byte, bool> isWanted)
    {
        var position = 2;
        while (position + 4 <= jpeg.Length && jpeg[position] == 0xFF)
        {
            if (isWanted(jpeg[position + 1]))
            {
                return position;
            }

            position += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(position + 2));
        }

        throw new InvalidOperationException("The JPEG has no such segment.");
    }

    private static byte[] PngChunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    // CRC-32 (ISO 3309 / PNG), bit by bit: the inputs here are tiny.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

using System.Buffers.Binary;
using System.Text;
using Derbes.Web.Documents;
using SkiaSharp;

namespace Derbes.Tests.Documents;

public sealed class DocumentInspectorImageTests
{
    [Fact]
    public async Task SmallPngIsAcceptedAndReencodedAsPng()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.SmallPng());

        var document = Assert.IsType<InspectedDocument>(result.Document);
        Assert.Equal(DocumentRejection.None, result.Rejection);
        Assert.Equal(DocumentKind.Png, document.Kind);
        Assert.Equal("image/png", document.ContentType);
        Assert.Equal(".png", document.Extension);
        Assert.Equal(16, document.Width);
        Assert.Equal(8, document.Height);
        AssertDecodes(document, SKEncodedImageFormat.Png);
    }

    [Fact]
    public async Task SmallJpegIsAcceptedAndReencodedAsJpeg()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.SmallJpeg());

        var document = Assert.IsType<InspectedDocument>(result.Document);
        Assert.Equal(DocumentKind.Jpeg, document.Kind);
        Assert.Equal("image/jpeg", document.ContentType);
        Assert.Equal(".jpg", document.Extension);
        Assert.Equal(64, document.Width);
        Assert.Equal(32, document.Height);
        AssertDecodes(document, SKEncodedImageFormat.Jpeg);
    }

    [Fact]
    public async Task JpegWithGpsLosesItsExifSegmentAndGpsData()
    {
        var input = SampleFiles.JpegWithGps();
        var marker = Encoding.ASCII.GetBytes(SampleFiles.GpsMarker);
        Assert.True(HasExifSegment(input));
        Assert.True(input.AsSpan().IndexOf(marker) >= 0);

        var result = await TestInspector.InspectAsync(input);

        var document = Assert.IsType<InspectedDocument>(result.Document);
        Assert.False(HasExifSegment(document.Bytes));
        Assert.True(document.Bytes.AsSpan().IndexOf(marker) < 0);
        Assert.True(document.Bytes.AsSpan().IndexOf("Exif"u8) < 0);
        Assert.Equal(64, document.Width);
        AssertDecodes(document, SKEncodedImageFormat.Jpeg);
    }

    [Fact]
    public async Task PngWithTextChunkLosesTheChunk()
    {
        var input = SampleFiles.PngWithTextChunk();
        var marker = Encoding.ASCII.GetBytes(SampleFiles.PngTextMarker);
        Assert.Contains("tEXt", PngChunkTypes(input));

        var result = await TestInspector.InspectAsync(input);

        var document = Assert.IsType<InspectedDocument>(result.Document);
        var chunks = PngChunkTypes(document.Bytes);
        Assert.DoesNotContain("tEXt", chunks);
        Assert.DoesNotContain("zTXt", chunks);
        Assert.DoesNotContain("iTXt", chunks);
        Assert.DoesNotContain("eXIf", chunks);
        Assert.True(document.Bytes.AsSpan().IndexOf(marker) < 0);
    }

    [Fact]
    public async Task DataAppendedAfterAnImageIsNotStored()
    {
        var payload = "<html><script>alert(1)</script></html>"u8.ToArray();
        byte[] input = [.. SampleFiles.SmallPng(), .. payload];

        var result = await TestInspector.InspectAsync(input);

        var document = Assert.IsType<InspectedDocument>(result.Document);
        Assert.True(document.Bytes.AsSpan().IndexOf(payload) < 0);
    }

    [Fact]
    public async Task PngWithHugeHeaderIsRefusedBeforeDecoding()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PngWithHugeHeader());

        Assert.Equal(DocumentRejection.ImageDimensionsTooLarge, result.Rejection);
        Assert.Null(result.Document);
    }

    [Fact]
    public async Task JpegWithHugeFrameHeaderIsRefusedBeforeDecoding()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.JpegWithHugeHeader());

        Assert.Equal(DocumentRejection.ImageDimensionsTooLarge, result.Rejection);
    }

    [Fact]
    public async Task ImageWithOneSideOverMaxImageSideIsRefused()
    {
        var options = new DocumentOptions { MaxImageSide = 63 };

        var result = await TestInspector.InspectAsync(SampleFiles.SmallJpeg(), options);

        Assert.Equal(DocumentRejection.ImageDimensionsTooLarge, result.Rejection);
    }

    [Fact]
    public async Task PngTallerThanMaxImageSideButWithinPixelLimitIsRefused()
    {
        var options = new DocumentOptions { MaxImageSide = 12_000, MaxImagePixels = long.MaxValue };

        var result = await TestInspector.InspectAsync(SampleFiles.PngWithHugeHeader(width: 1, height: 12_001), options);

        Assert.Equal(DocumentRejection.ImageDimensionsTooLarge, result.Rejection);
    }

    [Fact]
    public async Task ImageWithMorePixelsThanMaxImagePixelsIsRefused()
    {
        var options = new DocumentOptions { MaxImagePixels = (16 * 8) - 1 };

        var result = await TestInspector.InspectAsync(SampleFiles.SmallPng(), options);

        Assert.Equal(DocumentRejection.ImageDimensionsTooLarge, result.Rejection);
    }

    [Fact]
    public async Task ImageExactlyAtTheLimitsIsAccepted()
    {
        var options = new DocumentOptions { MaxImageSide = 16, MaxImagePixels = 16 * 8 };

        var result = await TestInspector.InspectAsync(SampleFiles.SmallPng(), options);

        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    // The source is 64 × 32: red top left, blue top right, green bottom left, black bottom right.
    // Expected corners of the upright image: top left, top right, bottom left, bottom right.
    [Theory]
    [InlineData(1, 64, 32, "red", "blue", "green", "black")]
    [InlineData(2, 64, 32, "blue", "red", "black", "green")]
    [InlineData(3, 64, 32, "black", "green", "blue", "red")]
    [InlineData(4, 64, 32, "green", "black", "red", "blue")]
    [InlineData(5, 32, 64, "red", "green", "blue", "black")]
    [InlineData(6, 32, 64, "green", "red", "black", "blue")]
    [InlineData(7, 32, 64, "black", "blue", "green", "red")]
    [InlineData(8, 32, 64, "blue", "black", "red", "green")]
    public async Task PhotoIsTurnedUprightByItsExifOrientationBeforeReencoding(
        ushort orientation, int width, int height, string topLeft, string topRight, string bottomLeft, string bottomRight)
    {
        var result = await TestInspector.InspectAsync(SampleFiles.JpegWithOrientation(orientation));

        var document = Assert.IsType<InspectedDocument>(result.Document);
        Assert.Equal(width, document.Width);
        Assert.Equal(height, document.Height);
        Assert.False(HasExifSegment(document.Bytes));
        using var bitmap = SKBitmap.Decode(document.Bytes);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        string[] corners =
        [
            ColourName(bitmap.GetPixel(2, 2)),
            ColourName(bitmap.GetPixel(width - 3, 2)),
            ColourName(bitmap.GetPixel(2, height - 3)),
            ColourName(bitmap.GetPixel(width - 3, height - 3)),
        ];
        Assert.Equal([topLeft, topRight, bottomLeft, bottomRight], corners);
    }

    [Fact]
    public async Task PngWithCorruptImageDataIsRefusedAsUnreadable()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.CorruptPng());

        Assert.Equal(DocumentRejection.ImageUnreadable, result.Rejection);
    }

    [Fact]
    public async Task TruncatedJpegIsRefusedAsUnreadable()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.TruncatedJpeg());

        Assert.Equal(DocumentRejection.ImageUnreadable, result.Rejection);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46 })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00 })]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 })]
    public async Task ImageSignatureFollowedByNothingUsefulIsRefusedAsUnreadable(byte[] content)
    {
        var result = await TestInspector.InspectAsync(content);

        Assert.Equal(DocumentRejection.ImageUnreadable, result.Rejection);
    }

    private static void AssertDecodes(InspectedDocument document, SKEncodedImageFormat format)
    {
        using var codec = SKCodec.Create(SKData.CreateCopy(document.Bytes));
        Assert.NotNull(codec);
        Assert.Equal(format, codec.EncodedFormat);
        Assert.Equal(document.Width, codec.Info.Width);
        Assert.Equal(document.Height, codec.Info.Height);
    }

    private static string ColourName(SKColor colour) => (colour.Red > 200, colour.Green > 200, colour.Blue > 200, colour.Red < 60, colour.Green < 60, colour.Blue < 60) switch
    {
        (true, _, _, _, true, true) => "red",
        (_, true, _, true, _, true) => "green",
        (_, _, true, true, true, _) => "blue",
        (_, _, _, true, true, true) => "black",
        _ => colour.ToString(),
    };

    private static bool HasExifSegment(byte[] jpeg)
    {
        var position = 2;
        while (position + 4 <= jpeg.Length && jpeg[position] == 0xFF && jpeg[position + 1] != 0xDA)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(position + 2));
            if (jpeg[position + 1] == 0xE1 && jpeg.AsSpan(position + 4).StartsWith("Exif"u8))
            {
                return true;
            }

            position += 2 + length;
        }

        return false;
    }

    private static List<string> PngChunkTypes(byte[] png)
    {
        var types = new List<string>();
        var position = 8;
        while (position + 8 <= png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            types.Add(Encoding.ASCII.GetString(png, position + 4, 4));
            position += 12 + length;
        }

        return types;
    }
}

using SkiaSharp;

namespace Derbes.Web.Documents;

/// <summary>
/// Checks an image's claimed size against the limits, then decodes it and re-encodes the pixels,
/// which leaves every metadata block (EXIF including GPS, XMP, ICC, comments, PNG text chunks)
/// and anything appended to the file behind. The EXIF orientation is applied first so that a
/// phone photo stays upright once its EXIF block is gone.
/// </summary>
internal static class ImageSanitizer
{
    private const int JpegQuality = 90;

    // Skia hands out one shared sRGB colour space; it is never disposed.
    private static readonly SKColorSpace Srgb = SKColorSpace.CreateSrgb();

    public static DocumentInspection Sanitize(DocumentKind kind, ReadOnlyMemory<byte> content, DocumentOptions options)
    {
        if (!ImageHeader.TryReadSize(kind, content.Span, out var headerWidth, out var headerHeight))
        {
            return DocumentInspection.Reject(DocumentRejection.ImageUnreadable);
        }

        if (!WithinLimits(headerWidth, headerHeight, options))
        {
            return DocumentInspection.Reject(DocumentRejection.ImageDimensionsTooLarge);
        }

        using var data = SKData.CreateCopy(content.Span);
        using var codec = SKCodec.Create(data); // null when Skia does not recognise the data
        if (codec is null || codec.EncodedFormat != ExpectedFormat(kind))
        {
            return DocumentInspection.Reject(DocumentRejection.ImageUnreadable);
        }

        // The decoder's idea of the size must agree with the header that was checked.
        var codecInfo = codec.Info;
        if (codecInfo.Width != headerWidth || codecInfo.Height != headerHeight)
        {
            return DocumentInspection.Reject(DocumentRejection.ImageUnreadable);
        }

        using var decoded = Decode(codec, kind);
        if (decoded is null)
        {
            return DocumentInspection.Reject(DocumentRejection.ImageUnreadable);
        }

        using var upright = ApplyOrigin(decoded, codec.EncodedOrigin);
        var bytes = Encode(upright ?? decoded, kind);
        if (bytes is null)
        {
            return DocumentInspection.Reject(DocumentRejection.ImageUnreadable);
        }

        var final = (upright ?? decoded).Info;
        return DocumentInspection.Accept(new InspectedDocument(
            kind, ContentTypeOf(kind), ExtensionOf(kind), bytes, final.Width, final.Height));
    }

    private static bool WithinLimits(int width, int height, DocumentOptions options) =>
        width <= options.MaxImageSide
        && height <= options.MaxImageSide
        && (long)width * height <= options.MaxImagePixels;

    private static SKEncodedImageFormat ExpectedFormat(DocumentKind kind) =>
        kind == DocumentKind.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;

    internal static string ContentTypeOf(DocumentKind kind) => kind switch
    {
        DocumentKind.Jpeg => "image/jpeg",
        DocumentKind.Png => "image/png",
        _ => "application/pdf",
    };

    internal static string ExtensionOf(DocumentKind kind) => kind switch
    {
        DocumentKind.Jpeg => ".jpg",
        DocumentKind.Png => ".png",
        _ => ".pdf",
    };

    // Decodes into 8-bit RGBA converted to sRGB, so that an embedded colour profile is honoured
    // once here and need not be carried over into the output.
    private static SKBitmap? Decode(SKCodec codec, DocumentKind kind)
    {
        var alpha = kind == DocumentKind.Jpeg ? SKAlphaType.Opaque : SKAlphaType.Premul;
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, alpha, Srgb);
        var bitmap = new SKBitmap();
        if (!bitmap.TryAllocPixels(info))
        {
            bitmap.Dispose();
            return null;
        }

        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            return null;
        }

        return bitmap;
    }

    // Returns a new, upright bitmap, or null when the image is already upright.
    private static SKBitmap? ApplyOrigin(SKBitmap source, SKEncodedOrigin origin)
    {
        float w = source.Width;
        float h = source.Height;
        var (matrix, swapsAxes) = origin switch
        {
            SKEncodedOrigin.TopRight => (new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1), false),
            SKEncodedOrigin.BottomRight => (new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1), false),
            SKEncodedOrigin.BottomLeft => (new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1), false),
            SKEncodedOrigin.LeftTop => (new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1), true),
            SKEncodedOrigin.RightTop => (new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1), true),
            SKEncodedOrigin.RightBottom => (new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1), true),
            SKEncodedOrigin.LeftBottom => (new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1), true),
            _ => (SKMatrix.Identity, false),
        };

        if (matrix == SKMatrix.Identity)
        {
            return null;
        }

        var info = swapsAxes ? source.Info.WithSize(source.Height, source.Width) : source.Info;
        var target = new SKBitmap(info);
        using var canvas = new SKCanvas(target);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(in matrix);
        canvas.DrawBitmap(source, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest), null);
        canvas.Flush();
        return target;
    }

    private static byte[]? Encode(SKBitmap bitmap, DocumentKind kind)
    {
        // Pixels are already sRGB; encoding them without a colour space writes no ICC profile.
        using var pixmap = new SKPixmap(bitmap.Info.WithColorSpace(null), bitmap.GetPixels(), bitmap.RowBytes);
        using var encoded = kind == DocumentKind.Jpeg
            ? pixmap.Encode(new SKJpegEncoderOptions(JpegQuality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
            : pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6));
        return encoded?.ToArray();
    }
}

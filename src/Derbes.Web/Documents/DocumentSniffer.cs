namespace Derbes.Web.Documents;

/// <summary>
/// Tells the allowed types apart by their leading magic bytes, at offset 0 only. Everything else
/// (executables, archives, HTML, SVG with or without a BOM or leading white space, GIF, WebP...)
/// is not an allowed type.
/// </summary>
internal static class DocumentSniffer
{
    public static DocumentKind? Detect(ReadOnlySpan<byte> content)
    {
        // Readers accept "%PDF-" anywhere in the first 1024 bytes; requiring it at offset 0 is stricter.
        if (content.StartsWith("%PDF-"u8))
        {
            return DocumentKind.Pdf;
        }

        if (content.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return DocumentKind.Jpeg;
        }

        if (content.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return DocumentKind.Png;
        }

        return null;
    }
}

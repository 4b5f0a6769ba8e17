namespace Derbes.Web.Documents;

/// <summary>
/// Decides whether a PDF may be stored: not encrypted, readable, and free of JavaScript,
/// launch actions, XFA and embedded files. Two independent checks run: a raw byte scan
/// (which also bounds decompression), then a parse with PdfPig. Accepted PDFs are stored unchanged.
/// </summary>
internal static class PdfInspector
{
    public static DocumentRejection Inspect(byte[] pdf, CancellationToken cancellationToken)
    {
        var raw = PdfRawScanner.Scan(pdf, cancellationToken);
        if (raw != PdfFindings.None)
        {
            return ToRejection(raw);
        }

        return ToRejection(PdfStructureInspector.Inspect(pdf, cancellationToken));
    }

    private static DocumentRejection ToRejection(PdfFindings findings)
    {
        if (findings.HasFlag(PdfFindings.Encrypted))
        {
            return DocumentRejection.PdfEncrypted;
        }

        if (findings.HasFlag(PdfFindings.ActiveContent))
        {
            return DocumentRejection.PdfHasJavaScript;
        }

        if (findings.HasFlag(PdfFindings.EmbeddedFiles))
        {
            return DocumentRejection.PdfHasEmbeddedFiles;
        }

        return findings == PdfFindings.None ? DocumentRejection.None : DocumentRejection.PdfUnreadable;
    }
}

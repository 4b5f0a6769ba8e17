namespace Derbes.Web.Documents;

/// <summary>Why an uploaded document was refused; <see cref="None"/> when it was accepted.</summary>
public enum DocumentRejection
{
    None,
    Empty,
    TooLarge,
    NotAllowedType,
    ImageDimensionsTooLarge,
    ImageUnreadable,
    PdfUnreadable,
    PdfHasJavaScript,
    PdfHasEmbeddedFiles,
    PdfEncrypted,
    Malware,
}

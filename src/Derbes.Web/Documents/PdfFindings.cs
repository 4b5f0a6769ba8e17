namespace Derbes.Web.Documents;

/// <summary>What the PDF checks found; several may be found in one file.</summary>
[Flags]
internal enum PdfFindings
{
    None = 0,

    /// <summary>JavaScript, /Launch or XFA: content that a reader may run.</summary>
    ActiveContent = 1,

    /// <summary>Embedded files or file attachments.</summary>
    EmbeddedFiles = 2,

    /// <summary>An /Encrypt dictionary: the content cannot be checked.</summary>
    Encrypted = 4,

    /// <summary>The file could not be checked safely (too much compressed data, unusual object stream filters).</summary>
    Uncheckable = 8,

    /// <summary>The parser could not read the file.</summary>
    Unreadable = 16,
}

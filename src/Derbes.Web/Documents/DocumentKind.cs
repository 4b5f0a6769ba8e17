namespace Derbes.Web.Documents;

/// <summary>The file types accepted for identity documents, decided by content.</summary>
public enum DocumentKind
{
    Pdf,
    Jpeg,
    Png,
}

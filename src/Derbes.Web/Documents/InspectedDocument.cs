namespace Derbes.Web.Documents;

/// <summary>
/// An accepted document: <see cref="Bytes"/> are what to store (re-encoded for images, unchanged for PDFs).
/// <see cref="Width"/> and <see cref="Height"/> are the final pixel size of an image, null for a PDF.
/// </summary>
public sealed record InspectedDocument(DocumentKind Kind, string ContentType, string Extension, byte[] Bytes, int? Width, int? Height);

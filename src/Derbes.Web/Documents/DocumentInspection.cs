namespace Derbes.Web.Documents;

/// <summary>The outcome of inspecting one upload: either a document to store or the reason it was refused.</summary>
public sealed record DocumentInspection(InspectedDocument? Document, DocumentRejection Rejection)
{
    public bool Accepted => Document is not null;

    internal static DocumentInspection Accept(InspectedDocument document) => new(document, DocumentRejection.None);

    internal static DocumentInspection Reject(DocumentRejection rejection) => new(null, rejection);
}

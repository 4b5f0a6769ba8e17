namespace Derbes.Web.Documents;

public enum DocumentStatus
{
    AwaitingReview = 0,
    Verified = 1,
    Rejected = 2,
}

/// <summary>
/// A scanned document sent at registration (policy 1.6). The bytes live in the document store under a
/// server-generated name, sealed with the customer's key; the original file name is kept only as cleaned,
/// sealed metadata.
/// </summary>
public sealed class CustomerDocument
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public string StorageName { get; set; } = "";
    public byte[] SealedOriginalName { get; set; } = [];
    public string ContentType { get; set; } = "";
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
    public DocumentStatus Status { get; set; }
    public DateTimeOffset UploadedAt { get; set; }
    public DateTimeOffset ReviewDueAt { get; set; }
}

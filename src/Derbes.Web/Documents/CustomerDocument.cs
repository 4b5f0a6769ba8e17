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

    /// <summary>When a member of staff verified or rejected it, and who (an account id).</summary>
    public DateTimeOffset? ReviewedAt { get; set; }
    public Guid? ReviewedBy { get; set; }
    public RejectionReason? Rejection { get; set; }
    /// <summary>The reviewer's words to the customer, sealed with the customer's key (they may name details of the document).</summary>
    public byte[]? SealedNote { get; set; }

    /// <summary>When the file (and its original name) was destroyed at the end of its retention; the metadata and result remain.</summary>
    public DateTimeOffset? PurgedAt { get; set; }
}

/// <summary>Why a document is refused; the customer is told in their language.</summary>
public enum RejectionReason
{
    Unreadable = 0,
    Incomplete = 1,
    Expired = 2,
    NotAnIdentityDocument = 3,
    /// <summary>Policy 2.4: the data or the document belongs to another person.</summary>
    BelongsToAnotherPerson = 4,
    Other = 5,
}

using System.Globalization;

namespace Derbes.Web.Requests;

/// <summary>
/// What the customer asks for (Art. 24 of the law; policy 5.2 for a complaint). Each kind has its own term in
/// working days (<see cref="RequestOptions"/>).
/// </summary>
public enum RequestKind
{
    /// <summary>Rectify or supplement one's data, on supporting documents (Art. 25 p.2).</summary>
    Rectification = 0,

    /// <summary>Block one's data when processing breaches the conditions; unblocked if the breach is not confirmed.</summary>
    Blocking = 1,

    /// <summary>Destroy data processed unlawfully.</summary>
    Destruction = 2,

    /// <summary>Withdraw the consent to processing (Art. 8 p.2, p.7).</summary>
    ConsentWithdrawal = 3,

    /// <summary>Object to a decision taken by automated processing alone (Art. 19-1).</summary>
    AutomatedDecisionObjection = 4,

    /// <summary>What is held, why, from where and for how long (Art. 24 p.1).</summary>
    Information = 5,

    /// <summary>A written pre-trial complaint (policy 5.2).</summary>
    Complaint = 6,
}

/// <summary>Where a request stands, as the customer sees it.</summary>
public enum RequestStatus
{
    Received = 0,
    InProgress = 1,
    Answered = 2,
    Closed = 3,
}

/// <summary>How the request reached the operator (staff enter letters and emails; issue 7).</summary>
public enum RequestChannel
{
    Cabinet = 0,
    Paper = 1,
    Email = 2,
}

/// <summary>
/// A statutory request or complaint of a customer, with its number (SMALL-2026-000123, sequential per year in
/// Asia/Almaty) and its due date on the working-day calendar. The customer's words and the answer are personal
/// data: sealed with the customer's data key. The staff side (assignment, notes, extensions, reclassification)
/// builds on <see cref="Status"/>, <see cref="AssigneeId"/> and the answer fields; <see cref="Version"/> makes two
/// members of staff changing it at once fail the second.
/// </summary>
public sealed class CustomerRequest
{
    public const int MaxNumber = 32;

    public long Id { get; set; }
    public string Number { get; set; } = "";

    /// <summary>The year (in Asia/Almaty) and place in it that make the number; unique together.</summary>
    public int Year { get; set; }
    public int Sequence { get; set; }

    public Guid AccountId { get; set; }
    public RequestKind Kind { get; set; }
    public RequestChannel Channel { get; set; }

    /// <summary>The customer's text, sealed under <see cref="TextField"/>.</summary>
    public byte[] SealedText { get; set; } = [];

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The day of receipt in Asia/Almaty: the term counts from the next day.</summary>
    public DateOnly ReceivedOn { get; set; }
    public DateOnly DueOn { get; set; }

    public RequestStatus Status { get; set; }
    public Guid? AssigneeId { get; set; }

    /// <summary>The written answer, sealed under <see cref="AnswerField"/>.</summary>
    public byte[]? SealedAnswer { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }
    public Guid? AnsweredBy { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }

    public int Version { get; set; }

    public List<RequestAttachment> Attachments { get; set; } = [];

    public bool IsOpen => Status is RequestStatus.Received or RequestStatus.InProgress;

    /// <summary>Open past its due date (the due date itself is still in time).</summary>
    public bool IsOverdue(DateOnly today) => IsOpen && today > DueOn;

    /// <summary>The vault field of the text: bound to the number, so a sealed text moved to another request fails to open.</summary>
    public static string TextField(string number) => "request:" + number + ":text";

    public static string AnswerField(string number) => "request:" + number + ":answer";

    public static string FormatNumber(string prefix, int year, int sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{year}-{sequence:D6}");
}

/// <summary>
/// A file sent with a request (a supporting document for a rectification): the bytes in the document store under a
/// server-generated name, sealed with the customer's key like registration documents; the original name sealed.
/// </summary>
public sealed class RequestAttachment
{
    public long Id { get; set; }
    public long RequestId { get; set; }
    public string StorageName { get; set; } = "";
    public byte[] SealedName { get; set; } = [];
    public string ContentType { get; set; } = "";
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
    public DateTimeOffset AddedAt { get; set; }

    /// <summary>The member of staff who attached it (a scanned letter); null when the customer sent it.</summary>
    public Guid? AddedBy { get; set; }

    public static string BytesField(string storageName) => "request-file:" + storageName;

    public static string NameField(string storageName) => "request-file:" + storageName + ":name";
}

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

    /// <summary>Unblock data blocked on a report that was not confirmed (entered by staff: a blocked customer cannot sign in).</summary>
    Unblocking = 7,

    /// <summary>The customer reports a breach of their data: handled as a complaint and linked to the breach register.</summary>
    BreachReport = 8,
}

/// <summary>Where a request stands, as the customer sees it.</summary>
public enum RequestStatus
{
    Received = 0,
    InProgress = 1,
    Answered = 2,
    Closed = 3,

    /// <summary>Staff asked the customer for more; the clock runs on unless <see cref="RequestOptions.PauseWhileAwaitingCustomer"/>.</summary>
    AwaitingCustomer = 4,
}

/// <summary>How staff established who sent a letter or an email that they enter as a request.</summary>
public enum SenderIdentification
{
    /// <summary>An email from the address registered on the account.</summary>
    RegisteredEmail = 0,

    /// <summary>A signed letter with a copy of an identity document.</summary>
    SignedLetterWithId = 1,

    /// <summary>Handed over in person, the identity document seen.</summary>
    InPerson = 2,

    /// <summary>A letter through a representative, with a power of attorney.</summary>
    PowerOfAttorney = 3,
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

    /// <summary>The member of staff who entered a letter or an email; null when the customer filed it in the cabinet or the app.</summary>
    public Guid? EnteredBy { get; set; }

    /// <summary>How the sender of a letter or an email was identified; null for the cabinet (signed in).</summary>
    public SenderIdentification? Identification { get; set; }

    /// <summary>The day the clock stopped while awaiting the customer (only when configured so); null while it runs.</summary>
    public DateOnly? PausedOn { get; set; }

    public List<RequestAttachment> Attachments { get; set; } = [];

    public List<RequestEvent> Events { get; set; } = [];

    public bool IsOpen => Status is RequestStatus.Received or RequestStatus.InProgress or RequestStatus.AwaitingCustomer;

    /// <summary>The statuses of <see cref="IsOpen"/>, for queries.</summary>
    public static readonly RequestStatus[] OpenStatuses = [RequestStatus.Received, RequestStatus.InProgress, RequestStatus.AwaitingCustomer];

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

/// <summary>What happened to a request after it was filed.</summary>
public enum RequestEventType
{
    Assigned = 0,
    /// <summary>An internal note: staff only.</summary>
    Note = 1,
    /// <summary>Staff asked the customer for more; the question is shown to the customer.</summary>
    AskedCustomer = 2,
    /// <summary>The customer answered a question in the cabinet.</summary>
    CustomerReplied = 3,
    /// <summary>The due date moved later, with the reason the customer is told.</summary>
    Extended = 4,
    /// <summary>The kind changed (a complaint that is in substance a statutory request); the term counts from receipt.</summary>
    Reclassified = 5,
    Answered = 6,
    Closed = 7,
}

/// <summary>
/// One step in a request's history: who (staff id, or null for the customer), when, and what; a text (a note, a
/// question, a reply, a reason) is sealed with the customer's key under <see cref="TextField"/>, so destroying the
/// customer's key destroys it with the rest. Due dates and kinds before and after are kept in the clear: they are
/// the proof that the deadlines were kept.
/// </summary>
public sealed class RequestEvent
{
    public long Id { get; set; }
    public long RequestId { get; set; }
    public DateTimeOffset At { get; set; }
    public RequestEventType Type { get; set; }
    public Guid? ActorId { get; set; }

    /// <summary>Shown to the customer in the cabinet (questions, replies, extensions, reclassifications, the answer).</summary>
    public bool Visible { get; set; }

    /// <summary>The random key the sealed text is bound to.</summary>
    public Guid TextKey { get; set; }
    public byte[]? SealedText { get; set; }

    public Guid? AssigneeId { get; set; }
    public RequestKind? FromKind { get; set; }
    public RequestKind? ToKind { get; set; }
    public DateOnly? DueBefore { get; set; }
    public DateOnly? DueAfter { get; set; }

    public static string TextField(string number, Guid key) => "request:" + number + ":event:" + key.ToString("N");
}

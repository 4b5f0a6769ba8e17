using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Requests;

/// <summary>
/// The terms, in working days, of the customer's requests ("Requests" section). Defaults from KZ-RULES: the law's
/// terms, and the policy's own thirty days for a complaint. The information term is the law's "terms set by
/// legislation", read as 3 (to confirm).
/// </summary>
public sealed class RequestOptions
{
    public const string Section = "Requests";

    /// <summary>Art. 25 p.2: rectify or supplement on supporting documents.</summary>
    [Range(1, 60)]
    public int RectificationDays { get; set; } = 1;

    /// <summary>Block when a breach of the conditions of processing is reported.</summary>
    [Range(1, 60)]
    public int BlockingDays { get; set; } = 1;

    /// <summary>Unblock when the breach is not confirmed.</summary>
    [Range(1, 60)]
    public int UnblockingDays { get; set; } = 1;

    /// <summary>Destroy data processed unlawfully.</summary>
    [Range(1, 60)]
    public int DestructionDays { get; set; } = 1;

    /// <summary>Art. 8 p.7: stop processing after a withdrawal, or a reasoned refusal.</summary>
    [Range(1, 60)]
    public int ConsentWithdrawalDays { get; set; } = 15;

    /// <summary>Art. 19-1: review an objection to an automated decision.</summary>
    [Range(1, 60)]
    public int AutomatedDecisionObjectionDays { get; set; } = 3;

    /// <summary>Art. 24: what is held about the customer (to confirm; configurable).</summary>
    [Range(1, 60)]
    public int InformationDays { get; set; } = 3;

    /// <summary>Policy 5.2: a written pre-trial complaint.</summary>
    [Range(1, 60)]
    public int ComplaintDays { get; set; } = 30;

    /// <summary>A breach of one's data reported by the customer: handled as a complaint, so the complaint's term by default.</summary>
    [Range(1, 60)]
    public int BreachReportDays { get; set; } = 30;

    /// <summary>
    /// Whether the clock stops while staff await the customer's reply to a question. Off by default: the law's terms
    /// do not stop for questions, so a request must be answerable on what the customer sent.
    /// </summary>
    public bool PauseWhileAwaitingCustomer { get; set; }

    /// <summary>The most working days one extension may add; every extension carries a reason the customer is told.</summary>
    [Range(1, 60)]
    public int MaxExtensionDays { get; set; } = 30;

    /// <summary>
    /// The longest text a request may carry, in characters: a page of writing is about 3,000. Longer is refused
    /// with a message, never cut (a customer's words are not shortened silently).
    /// </summary>
    [Range(100, 100_000)]
    public int MaxTextLength { get; set; } = 4000;

    /// <summary>The start of every number (SMALL-2026-000123).</summary>
    [Required]
    [RegularExpression("^[A-Z]{2,12}$")]
    public string NumberPrefix { get; set; } = "SMALL";

    public int DaysFor(RequestKind kind) => kind switch
    {
        RequestKind.Rectification => RectificationDays,
        RequestKind.Blocking => BlockingDays,
        RequestKind.Destruction => DestructionDays,
        RequestKind.ConsentWithdrawal => ConsentWithdrawalDays,
        RequestKind.AutomatedDecisionObjection => AutomatedDecisionObjectionDays,
        RequestKind.Information => InformationDays,
        RequestKind.Complaint => ComplaintDays,
        RequestKind.Unblocking => UnblockingDays,
        RequestKind.BreachReport => BreachReportDays,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

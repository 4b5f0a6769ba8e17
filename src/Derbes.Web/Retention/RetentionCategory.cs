namespace Derbes.Web.Retention;

/// <summary>The kinds of data with a retention period of their own (Art. 7 p.9, Art. 18), in the order the table lists them.</summary>
public enum RetentionCategory
{
    /// <summary>Accounts whose email was never confirmed: destroyed like a closed account, down to a depersonalised stub.</summary>
    UnconfirmedAccounts = 0,
    /// <summary>Verified documents' files: destroyed; the verification result stays.</summary>
    VerifiedDocuments = 1,
    /// <summary>Rejected documents' files: destroyed; the reason stays.</summary>
    RejectedDocuments = 2,
    /// <summary>Closed accounts at the end of the grace period: destroyed down to a stub (or blocked under a retention hold).</summary>
    ClosedAccounts = 3,
    /// <summary>Sessions (when, device, address): deleted.</summary>
    SignInHistory = 4,
    /// <summary>Audit entries: removed from the start of the chain behind a signed checkpoint.</summary>
    AuditTrail = 5,
}

/// <summary>
/// One run of the retention job (<see cref="RetentionRun"/>): when it started and finished, and which instance holds
/// it until when. A run stopped midway (the instance killed, the database away) stays unfinished; once its claim has
/// lapsed the next look, on any instance, takes it over and finishes it. Counts only, per category in
/// <see cref="RetentionRunCount"/>: nothing about any customer.
/// </summary>
public sealed class RetentionRunRecord
{
    public long Id { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The instance working on the run ("host:process") and until when; renewed as it goes.</summary>
    public string ClaimedBy { get; set; } = "";
    public DateTimeOffset ClaimedUntil { get; set; }

    /// <summary>"schedule" for the daily run, or the id of the member of staff who started one by hand.</summary>
    public string StartedBy { get; set; } = "";

    public List<RetentionRunCount> Counts { get; set; } = [];
}

/// <summary>What one run did in one category: destroyed, and past their time but kept (blocked, retention hold).</summary>
public sealed class RetentionRunCount
{
    public long RunId { get; set; }
    public RetentionCategory Category { get; set; }
    public int Destroyed { get; set; }
    public int Held { get; set; }
    /// <summary>When the category was done in this run; null while it is (or was, when the run stopped) in progress.</summary>
    public DateTimeOffset? DoneAt { get; set; }
}

namespace Derbes.Web.Requests;

/// <summary>What a <see cref="DigestRun"/> sent.</summary>
public enum DigestKind
{
    /// <summary>The Privacy Officer's digest of open requests (overdue, due today, due within 3 working days).</summary>
    Digest = 0,

    /// <summary>The Administrator's list of overdue requests.</summary>
    Escalation = 1,
}

/// <summary>
/// One day's run of the digest or of the escalation (Asia/Almaty date). The key (day, kind) makes each run happen
/// once, however many instances look and however often they restart: the row is saved in the same transaction as the
/// emails it queued, so either both are there or neither is. Counts only: nothing about any customer.
/// </summary>
public sealed class DigestRun
{
    public DateOnly Day { get; set; }
    public DigestKind Kind { get; set; }
    public DateTimeOffset RanAt { get; set; }

    /// <summary>Members of staff an email was queued for (none when nobody holds the role, or nothing was overdue).</summary>
    public int Recipients { get; set; }
    public int Overdue { get; set; }
    public int DueToday { get; set; }
    public int DueSoon { get; set; }
}

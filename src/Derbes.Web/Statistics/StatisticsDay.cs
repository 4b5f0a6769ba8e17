namespace Derbes.Web.Statistics;

/// <summary>
/// One depersonalised figure of one day (Art. 17, policy 2.2.5): how many, never who. The statistics pages and their
/// exports read only this table (and the names of campaigns), so no customer-level row is reachable from them; it has
/// no account column on purpose, and a test holds the model to that.
/// </summary>
public sealed class StatisticsDay
{
    public const int MaxMetric = 32;
    public const int MaxKey = 64;

    /// <summary>The day in Asia/Almaty the figure belongs to.</summary>
    public DateOnly Day { get; set; }

    /// <summary>What is counted (<see cref="StatisticsMetrics"/>).</summary>
    public string Metric { get; set; } = "";

    /// <summary>The customers' preferred language ("kk", "ru", "en"), or "" for a figure not split by language.</summary>
    public string Language { get; set; } = "";

    /// <summary>The breakdown within the metric (a purpose and channel, a request kind, a campaign id), or "".</summary>
    public string Key { get; set; } = "";

    public long Count { get; set; }
}

/// <summary>
/// The metrics of <see cref="StatisticsDay"/>. Event metrics count what happened on the day and are recomputed for
/// the recent days on every run; snapshot metrics (<see cref="IsSnapshot"/>) are the state at the last run of the day
/// and are written for today only, so a past day keeps the state it ended with.
/// </summary>
public static class StatisticsMetrics
{
    /// <summary>Marks a day as computed (Count 1), so the job knows where it left off even on a day with no events.</summary>
    public const string Computed = "computed";

    /// <summary>Customers registered that day, by language.</summary>
    public const string Registered = "registered";

    /// <summary>Of those registered that day, how many have confirmed their email (the cohort settles within the recompute window).</summary>
    public const string Confirmed = "confirmed";

    /// <summary>Identity documents reviewed that day, Key "verified" or "rejected".</summary>
    public const string Documents = "documents";

    /// <summary>Advertising consents withdrawn that day from a campaign's message, Key the campaign id.</summary>
    public const string OptOuts = "optouts";

    /// <summary>Requests and complaints received that day, Key the kind.</summary>
    public const string RequestsReceived = "requests.received";

    /// <summary>Requests and complaints answered (or closed) that day, Key "Kind|on-time" or "Kind|late".</summary>
    public const string RequestsCompleted = "requests.completed";

    /// <summary>Sign-ins that day from the audit trail, Key "ok" or "failed"; not split by language.</summary>
    public const string SignIns = "signins";

    /// <summary>Snapshot: active customers, by language.</summary>
    public const string Active = "active";

    /// <summary>Snapshot: each customer's latest consent record per purpose, Key "Purpose|Channel|granted" or "…|withdrawn".</summary>
    public const string Consents = "consents";

    /// <summary>Snapshot: open requests past their due date, Key the kind.</summary>
    public const string RequestsOverdue = "requests.overdue";

    public static bool IsSnapshot(string metric) => metric is Active or Consents or RequestsOverdue;
}

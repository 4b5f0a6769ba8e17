namespace Derbes.Web.Campaigns.Surveys;

/// <summary>
/// One customer's filled-in survey, kept apart from who they are: a random id, the campaign and the day (Asia/Almaty)
/// only. No account, no token, no exact time: nothing here says whose it is or lets it be matched, by the second, to a
/// sign-in, a session or a log line. That the customer took part is recorded separately, in
/// <see cref="SurveyParticipation"/>, which in turn does not say which response is theirs.
/// </summary>
public sealed class SurveyResponse
{
    /// <summary>Random (not sequential): the ids do not tell the order in which responses came.</summary>
    public Guid Id { get; set; }
    public long CampaignId { get; set; }
    /// <summary>The day it was answered in Almaty; never a finer time.</summary>
    public DateOnly Day { get; set; }
    public List<SurveyAnswer> Answers { get; set; } = [];
}

/// <summary>
/// One answer of a response: for a single choice or a rating one row, for a multiple choice one row per ticked
/// option (<see cref="Item"/> 0, 1, 2 ...), for free text one row with the customer's words (length-limited, no
/// control characters). No account id, no sequence number: the key is the response's random id.
/// </summary>
public sealed class SurveyAnswer
{
    public Guid ResponseId { get; set; }
    public long QuestionId { get; set; }
    /// <summary>0, or for a multiple choice the n-th ticked option of this question.</summary>
    public int Item { get; set; }
    /// <summary>The option's index (0-based) for a choice question.</summary>
    public int? Option { get; set; }
    /// <summary>1–5 for a rating question.</summary>
    public int? Rating { get; set; }
    /// <summary>The customer's words for a free-text question.</summary>
    public string? Text { get; set; }
}

/// <summary>
/// That a customer has answered a survey, so they answer once: the campaign and a keyed HMAC of the account and the
/// campaign (the key derived from the master key file, held outside the database). No time, no response id: the
/// database alone cannot tell who took part, and nobody can tell from it which answers are whose. The key (campaign,
/// HMAC) is unique, so of two submissions at once the second fails and stores nothing.
/// </summary>
public sealed class SurveyParticipation
{
    public long CampaignId { get; set; }
    /// <summary>HMAC-SHA256 of the account and campaign ids, lower-case hex.</summary>
    public string AccountKey { get; set; } = "";
}

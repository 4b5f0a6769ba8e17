namespace Derbes.Web.Campaigns.Surveys;

/// <summary>The four kinds of question a short survey asks (policy 2.2.4, "сауалдар").</summary>
public enum SurveyQuestionType
{
    /// <summary>One of the options.</summary>
    SingleChoice = 0,
    /// <summary>Any of the options (none, when the question is not required).</summary>
    MultipleChoice = 1,
    /// <summary>A mark from 1 (poor) to 5 (excellent).</summary>
    Rating = 2,
    /// <summary>The customer's own words, up to <see cref="SurveyQuestion.MaxFreeText"/> characters.</summary>
    FreeText = 3,
}

/// <summary>
/// One question of a survey campaign, written by Marketing in kk and ru (en optional) while the campaign can still be
/// edited. Choice questions have the same options in every language, one a line, in the same order: an answer is
/// stored as the option's index, so it means the same whichever language the customer answered in.
/// </summary>
public sealed class SurveyQuestion
{
    public const int MaxPrompt = 500;
    public const int MaxOption = 200;
    public const int MinOptions = 2;
    public const int MaxOptions = 10;
    public const int MaxQuestions = 20;
    public const int MaxFreeText = 2000;
    public const int MinRating = 1;
    public const int MaxRating = 5;

    public long Id { get; set; }
    public long CampaignId { get; set; }
    /// <summary>1, 2, 3 ... in the order the customer sees them.</summary>
    public int Position { get; set; }
    public SurveyQuestionType Type { get; set; }
    public bool Required { get; set; }
    public List<SurveyQuestionText> Texts { get; set; } = [];

    public bool HasOptions => Type is SurveyQuestionType.SingleChoice or SurveyQuestionType.MultipleChoice;

    /// <summary>The text in <paramref name="language"/>, or for a language without one (en is optional) the Russian text.</summary>
    public SurveyQuestionText TextFor(string language) =>
        Texts.FirstOrDefault(t => t.Language == language) ?? Texts.FirstOrDefault(t => t.Language == "ru") ?? Texts.First();

    /// <summary>How many options a choice question has (the Kazakh list decides: every language has as many).</summary>
    public int OptionCount => HasOptions ? (Texts.FirstOrDefault(t => t.Language == "kk") ?? Texts.First()).OptionList.Count : 0;
}

/// <summary>One language's wording of a question: the prompt and, for a choice question, its options one a line.</summary>
public sealed class SurveyQuestionText
{
    public long QuestionId { get; set; }
    public string Language { get; set; } = "";
    public string Prompt { get; set; } = "";
    /// <summary>The options, one a line (empty for rating and free-text questions).</summary>
    public string Options { get; set; } = "";

    public IReadOnlyList<string> OptionList => Split(Options);

    public static List<string> Split(string? options) =>
        [.. (options ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(o => o.Trim()).Where(o => o.Length > 0)];
}

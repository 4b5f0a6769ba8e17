using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Campaigns.Surveys;

/// <summary>One language's wording of a question as typed: the prompt and, for a choice question, the options one a line.</summary>
public sealed record SurveyQuestionTextInput(string Language, string? Prompt, string? Options);

/// <summary>A question as Marketing types it.</summary>
public sealed record SurveyQuestionInput(SurveyQuestionType Type, bool Required, IReadOnlyList<SurveyQuestionTextInput> Texts);

/// <summary>What the customer sent for one question, as the form sent it (option indexes, a mark, or words).</summary>
public sealed record SurveyAnswerInput(long QuestionId, IReadOnlyList<string?> Values);

/// <summary>How a survey link opens.</summary>
public enum SurveyState
{
    /// <summary>The customer can answer.</summary>
    Open,
    /// <summary>This customer has answered already: once is all.</summary>
    Answered,
    /// <summary>The campaign was cancelled, or the account can no longer take part (blocked, closing).</summary>
    Closed,
    /// <summary>A member of staff's test send: the survey shows, nothing is stored.</summary>
    Test,
}

/// <summary>A survey as the link opens it: the campaign, its questions in order, and whether it can be answered.</summary>
public sealed record SurveyForm(Campaign Campaign, IReadOnlyList<SurveyQuestion> Questions, SurveyState State);

/// <summary>What became of a customer's answers.</summary>
public enum SurveyOutcome
{
    /// <summary>Stored (the response, apart from who sent it, and that this customer took part).</summary>
    Done,
    /// <summary>Something to fix: see the problems; nothing stored.</summary>
    Invalid,
    /// <summary>This customer answered before (or a second submission lost the race): nothing stored.</summary>
    AlreadyAnswered,
    /// <summary>The survey does not take answers (cancelled campaign, account blocked or closing): nothing stored.</summary>
    Closed,
    /// <summary>A member of staff's test link: nothing stored.</summary>
    Test,
    /// <summary>No such survey for this link (forged or altered token, not a survey, a draft): nothing stored.</summary>
    NotFound,
}

/// <summary>One question's aggregate: per option counts, the marks 1–5 and their mean, or the words without authors.</summary>
public sealed record SurveyQuestionResult(SurveyQuestion Question, int Answered, IReadOnlyList<int> Options, IReadOnlyList<int> Ratings, double? Mean, IReadOnlyList<string> Texts);

/// <summary>What Marketing sees of a survey: how many answered and the aggregates; never who.</summary>
public sealed record SurveyResults(Campaign Campaign, int Responses, IReadOnlyList<SurveyQuestionResult> Questions);

/// <summary>
/// Surveys (policy 2.2.4, "сауалдар"): a campaign of kind <see cref="CampaignKind.Survey"/> with short questions
/// (single or multiple choice, a 1–5 mark, free text) in kk and ru (en optional). Marketing edits the questions while
/// the campaign can be edited; each recipient's message carries a link (<see cref="SurveyToken"/>) that opens the
/// survey without signing in and takes one answer per customer.
/// <para>
/// Answers are kept apart from identity: a <see cref="SurveyResponse"/> holds a random id, the campaign and the day,
/// its <see cref="SurveyAnswer"/> rows the answers; that the customer answered is a separate
/// <see cref="SurveyParticipation"/> row (a keyed HMAC, no time, no response id). The audit entry of an answer names
/// the campaign only, with no actor, address or request id. Marketing sees aggregates, and free text sorted
/// alphabetically, never in the order it came, without its author or time.
/// </para>
/// </summary>
public sealed class Surveys(DerbesDb db, SurveyToken tokens, AuditTrail audit, TimeProvider clock)
{
    // ---- Marketing: the questions ----

    public Task<List<SurveyQuestion>> QuestionsAsync(long campaignId, CancellationToken cancellationToken) =>
        db.SurveyQuestions.AsNoTracking().Include(q => q.Texts).Where(q => q.CampaignId == campaignId)
            .OrderBy(q => q.Position).ThenBy(q => q.Id).ToListAsync(cancellationToken);

    /// <summary>Whether the campaign has at least one question (a survey without any cannot be sent or tested).</summary>
    public static Task<bool> HasQuestionsAsync(DerbesDb db, long campaignId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.SurveyQuestions.AnyAsync(q => q.CampaignId == campaignId, cancellationToken);
    }

    /// <summary>What must be fixed in a question before it is saved: each field with its error's resource key.</summary>
    public static List<CampaignProblem> Check(SurveyQuestionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var problems = new List<CampaignProblem>();
        if (!Enum.IsDefined(input.Type))
        {
            problems.Add(new("Type", "Survey.Error.Type"));
            return problems;
        }
        var choice = input.Type is SurveyQuestionType.SingleChoice or SurveyQuestionType.MultipleChoice;
        int? kazakhOptions = null;
        foreach (var code in Languages.All)
        {
            var text = input.Texts.FirstOrDefault(t => t.Language == code);
            var prompt = Clean(text?.Prompt);
            var options = choice ? SurveyQuestionText.Split(text?.Options) : [];
            var required = Campaign.RequiredLanguages.Contains(code);
            if (!required && prompt.Length == 0 && options.Count == 0)
            {
                continue;
            }
            if (prompt.Length == 0)
            {
                problems.Add(new("Prompt." + code, "Survey.Error.PromptMissing"));
            }
            else if (prompt.Length > SurveyQuestion.MaxPrompt)
            {
                problems.Add(new("Prompt." + code, "Survey.Error.PromptTooLong"));
            }
            else if (prompt.Any(char.IsControl))
            {
                problems.Add(new("Prompt." + code, "Survey.Error.NotAllowed"));
            }
            if (!choice)
            {
                continue;
            }
            if (options.Count is < SurveyQuestion.MinOptions or > SurveyQuestion.MaxOptions)
            {
                problems.Add(new("Options." + code, "Survey.Error.OptionsCount"));
            }
            else if (options.Any(o => o.Length > SurveyQuestion.MaxOption))
            {
                problems.Add(new("Options." + code, "Survey.Error.OptionTooLong"));
            }
            else if (options.Any(o => o.Any(char.IsControl)))
            {
                problems.Add(new("Options." + code, "Survey.Error.NotAllowed"));
            }
            else if (kazakhOptions is { } count && options.Count != count)
            {
                problems.Add(new("Options." + code, "Survey.Error.OptionsMismatch"));
            }
            kazakhOptions ??= options.Count;
        }
        return problems;
    }

    public async Task<CampaignResult> AddAsync(long campaignId, SurveyQuestionInput input, List<CampaignProblem> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (await EditableAsync(campaignId, cancellationToken) is { } refused)
        {
            return refused;
        }
        problems.AddRange(Check(input));
        var count = await db.SurveyQuestions.CountAsync(q => q.CampaignId == campaignId, cancellationToken);
        if (count >= SurveyQuestion.MaxQuestions)
        {
            problems.Add(new("Type", "Survey.Error.TooMany"));
        }
        if (problems.Count > 0)
        {
            return CampaignResult.Incomplete;
        }
        var question = new SurveyQuestion { CampaignId = campaignId, Position = count + 1 };
        Apply(question, input);
        db.SurveyQuestions.Add(question);
        await db.SaveChangesAsync(cancellationToken);
        audit.Record("survey.question-added", Campaign.ReferenceOf(campaignId), Outcome(question));
        await db.SaveChangesAsync(cancellationToken);
        return CampaignResult.Done;
    }

    public async Task<CampaignResult> UpdateAsync(long campaignId, long questionId, SurveyQuestionInput input, List<CampaignProblem> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (await EditableAsync(campaignId, cancellationToken) is { } refused)
        {
            return refused;
        }
        var question = await db.SurveyQuestions.Include(q => q.Texts).SingleOrDefaultAsync(q => q.Id == questionId && q.CampaignId == campaignId, cancellationToken);
        if (question is null)
        {
            return CampaignResult.NotFound;
        }
        problems.AddRange(Check(input));
        if (problems.Count > 0)
        {
            return CampaignResult.Incomplete;
        }
        Apply(question, input);
        audit.Record("survey.question-changed", Campaign.ReferenceOf(campaignId), Outcome(question));
        await db.SaveChangesAsync(cancellationToken);
        return CampaignResult.Done;
    }

    /// <summary>Removes a question; a scheduled survey keeps at least one (it is about to be sent).</summary>
    public async Task<CampaignResult> RemoveAsync(long campaignId, long questionId, CancellationToken cancellationToken)
    {
        if (await EditableAsync(campaignId, cancellationToken) is { } refused)
        {
            return refused;
        }
        var questions = await db.SurveyQuestions.Where(q => q.CampaignId == campaignId).OrderBy(q => q.Position).ThenBy(q => q.Id).ToListAsync(cancellationToken);
        var question = questions.FirstOrDefault(q => q.Id == questionId);
        if (question is null)
        {
            return CampaignResult.NotFound;
        }
        if (questions.Count == 1 && await db.Campaigns.AnyAsync(c => c.Id == campaignId && c.Status == CampaignStatus.Scheduled, cancellationToken))
        {
            return CampaignResult.Incomplete;
        }
        db.SurveyQuestions.Remove(question);
        questions.Remove(question);
        Renumber(questions);
        audit.Record("survey.question-removed", Campaign.ReferenceOf(campaignId), "question:" + questionId);
        await db.SaveChangesAsync(cancellationToken);
        return CampaignResult.Done;
    }

    /// <summary>Moves a question one place up (<paramref name="by"/> −1) or down (+1).</summary>
    public async Task<CampaignResult> MoveAsync(long campaignId, long questionId, int by, CancellationToken cancellationToken)
    {
        if (await EditableAsync(campaignId, cancellationToken) is { } refused)
        {
            return refused;
        }
        var questions = await db.SurveyQuestions.Where(q => q.CampaignId == campaignId).OrderBy(q => q.Position).ThenBy(q => q.Id).ToListAsync(cancellationToken);
        var index = questions.FindIndex(q => q.Id == questionId);
        if (index < 0)
        {
            return CampaignResult.NotFound;
        }
        var target = index + Math.Sign(by);
        if (target < 0 || target >= questions.Count)
        {
            return CampaignResult.WrongState;
        }
        (questions[index], questions[target]) = (questions[target], questions[index]);
        Renumber(questions);
        audit.Record("survey.question-moved", Campaign.ReferenceOf(campaignId), "question:" + questionId);
        await db.SaveChangesAsync(cancellationToken);
        return CampaignResult.Done;
    }

    // ---- The customer: the link ----

    /// <summary>The survey behind a link; null when there is none for it (the page answers 404).</summary>
    public async Task<SurveyForm?> OpenAsync(string? token, CancellationToken cancellationToken)
    {
        var (claim, campaign, state) = await ResolveAsync(token, cancellationToken);
        if (claim is null || campaign is null || state is null)
        {
            return null;
        }
        return new SurveyForm(campaign, await QuestionsAsync(campaign.Id, cancellationToken), state.Value);
    }

    /// <summary>
    /// Checks and stores one customer's answers: the link genuine, the campaign a survey not cancelled, the account
    /// still an active customer, each answer valid for its question, and no earlier answer from this customer. The
    /// response, its answers, the participation and the audit entry are saved together or not at all.
    /// </summary>
    public async Task<SurveyOutcome> SubmitAsync(string? token, IReadOnlyList<SurveyAnswerInput> answers, List<CampaignProblem> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(problems);
        var (claim, campaign, state) = await ResolveAsync(token, cancellationToken);
        if (claim is null || campaign is null || state is null)
        {
            return SurveyOutcome.NotFound;
        }
        switch (state)
        {
            case SurveyState.Closed:
                return SurveyOutcome.Closed;
            case SurveyState.Answered:
                return SurveyOutcome.AlreadyAnswered;
        }
        var questions = await QuestionsAsync(campaign.Id, cancellationToken);
        var response = new SurveyResponse
        {
            Id = Guid.NewGuid(),
            CampaignId = campaign.Id,
            Day = WorkingCalendar.AlmatyDate(clock.GetUtcNow()),
        };
        foreach (var question in questions)
        {
            var values = answers.Where(a => a.QuestionId == question.Id).SelectMany(a => a.Values)
                .Select(v => v ?? "").Where(v => v.Trim().Length > 0).ToList();
            if (Read(question, values, response.Id) is { } read)
            {
                response.Answers.AddRange(read);
            }
            else
            {
                problems.Add(new(FieldOf(question), ErrorOf(question, values)));
            }
        }
        if (problems.Count > 0)
        {
            return SurveyOutcome.Invalid;
        }
        if (state == SurveyState.Test)
        {
            return SurveyOutcome.Test;
        }
        db.SurveyResponses.Add(response);
        db.SurveyParticipations.Add(new SurveyParticipation { CampaignId = campaign.Id, AccountKey = tokens.ParticipationKey(claim) });
        // The campaign only: no actor, no address, no request id (see RecordUnattributed).
        audit.RecordUnattributed("survey.answered", campaign.Reference);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A second submission at the same moment: the participation key is unique, so it stored nothing.
            db.ChangeTracker.Clear();
            var key = tokens.ParticipationKey(claim);
            if (await db.SurveyParticipations.AnyAsync(p => p.CampaignId == campaign.Id && p.AccountKey == key, cancellationToken))
            {
                return SurveyOutcome.AlreadyAnswered;
            }
            throw;
        }
        return SurveyOutcome.Done;
    }

    // ---- Marketing: the results ----

    /// <summary>How many customers have answered the survey (0 for a campaign that is not one): for the campaign's figures.</summary>
    public Task<int> ResponseCountAsync(long campaignId, CancellationToken cancellationToken) =>
        db.SurveyResponses.CountAsync(r => r.CampaignId == campaignId, cancellationToken);

    /// <summary>
    /// The aggregates of a survey (null when the campaign is not a survey). Free texts may hold what customers wrote
    /// about themselves, so opening them is audited against the member of staff.
    /// </summary>
    public async Task<SurveyResults?> ResultsAsync(long campaignId, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Texts).SingleOrDefaultAsync(c => c.Id == campaignId, cancellationToken);
        if (campaign is not { Kind: CampaignKind.Survey })
        {
            return null;
        }
        var questions = await QuestionsAsync(campaignId, cancellationToken);
        var ids = questions.Select(q => q.Id).ToList();
        var responses = await ResponseCountAsync(campaignId, cancellationToken);
        var answered = await db.SurveyAnswers.AsNoTracking().Where(a => ids.Contains(a.QuestionId))
            .GroupBy(a => a.QuestionId)
            .Select(g => new { Question = g.Key, Count = g.Select(a => a.ResponseId).Distinct().Count() })
            .ToListAsync(cancellationToken);
        var options = await db.SurveyAnswers.AsNoTracking().Where(a => ids.Contains(a.QuestionId) && a.Option != null)
            .GroupBy(a => new { a.QuestionId, a.Option })
            .Select(g => new { g.Key.QuestionId, g.Key.Option, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var ratings = await db.SurveyAnswers.AsNoTracking().Where(a => ids.Contains(a.QuestionId) && a.Rating != null)
            .GroupBy(a => new { a.QuestionId, a.Rating })
            .Select(g => new { g.Key.QuestionId, g.Key.Rating, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var freeIds = questions.Where(q => q.Type == SurveyQuestionType.FreeText).Select(q => q.Id).ToList();
        // Only the words: not the response, not the day. Sorted by the words themselves, never in the order they came.
        var texts = await db.SurveyAnswers.AsNoTracking().Where(a => freeIds.Contains(a.QuestionId) && a.Text != null)
            .Select(a => new { a.QuestionId, a.Text })
            .ToListAsync(cancellationToken);
        var results = new List<SurveyQuestionResult>(questions.Count);
        foreach (var question in questions)
        {
            var optionCounts = Enumerable.Range(0, question.OptionCount)
                .Select(i => options.Where(o => o.QuestionId == question.Id && o.Option == i).Sum(o => o.Count)).ToList();
            var ratingCounts = question.Type == SurveyQuestionType.Rating
                ? Enumerable.Range(SurveyQuestion.MinRating, SurveyQuestion.MaxRating)
                    .Select(r => ratings.Where(o => o.QuestionId == question.Id && o.Rating == r).Sum(o => o.Count)).ToList()
                : [];
            var marks = ratingCounts.Sum();
            double? mean = marks == 0 ? null : Math.Round(ratingCounts.Select((c, i) => c * (double)(i + SurveyQuestion.MinRating)).Sum() / marks, 2);
            var words = texts.Where(t => t.QuestionId == question.Id).Select(t => t.Text!).Order(StringComparer.OrdinalIgnoreCase).ThenBy(t => t, StringComparer.Ordinal).ToList();
            results.Add(new SurveyQuestionResult(question, answered.FirstOrDefault(a => a.Question == question.Id)?.Count ?? 0, optionCounts, ratingCounts, mean, words));
        }
        audit.Record("survey.results-viewed", campaign.Reference, responses.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(cancellationToken);
        return new SurveyResults(campaign, responses, results);
    }

    // ---- Helpers ----

    /// <summary>The form field of a question ("q12"): its inputs' name and its error's key.</summary>
    public static string FieldOf(SurveyQuestion question)
    {
        ArgumentNullException.ThrowIfNull(question);
        return "q" + question.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The link's customer, campaign and state; nulls when the link leads nowhere.</summary>
    private async Task<(SurveyClaim? Claim, Campaign? Campaign, SurveyState? State)> ResolveAsync(string? token, CancellationToken cancellationToken)
    {
        var claim = tokens.Read(token);
        if (claim is null)
        {
            return default;
        }
        var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Texts).SingleOrDefaultAsync(c => c.Id == claim.CampaignId, cancellationToken);
        if (campaign is not { Kind: CampaignKind.Survey })
        {
            return default;
        }
        var account = await db.Users.AsNoTracking().Where(a => a.Id == claim.AccountId).Select(a => new { a.Kind, a.Status }).SingleOrDefaultAsync(cancellationToken);
        if (account is null or { Status: AccountStatus.Destroyed })
        {
            return default;
        }
        if (campaign.Status == CampaignStatus.Cancelled)
        {
            return (claim, campaign, SurveyState.Closed);
        }
        if (account.Kind == AccountKind.Staff)
        {
            // A test send (from a draft too): Marketing sees what customers will; nothing is stored.
            return (claim, campaign, SurveyState.Test);
        }
        if (campaign.Status == CampaignStatus.Draft)
        {
            // Nothing of a draft is ever sent to a customer: a customer's link to one is not genuine use.
            return default;
        }
        if (account.Status != AccountStatus.Active)
        {
            return (claim, campaign, SurveyState.Closed);
        }
        var key = tokens.ParticipationKey(claim);
        var answered = await db.SurveyParticipations.AnyAsync(p => p.CampaignId == campaign.Id && p.AccountKey == key, cancellationToken);
        return (claim, campaign, answered ? SurveyState.Answered : SurveyState.Open);
    }

    /// <summary>The rows of one question's answer, or null when the values do not fit it (see <see cref="ErrorOf"/>).</summary>
    private static List<SurveyAnswer>? Read(SurveyQuestion question, List<string> values, Guid responseId)
    {
        if (values.Count == 0)
        {
            return question.Required ? null : [];
        }
        switch (question.Type)
        {
            case SurveyQuestionType.SingleChoice:
                {
                    return values.Count == 1 && Index(values[0], question.OptionCount) is { } option
                        ? [new SurveyAnswer { ResponseId = responseId, QuestionId = question.Id, Option = option }]
                        : null;
                }
            case SurveyQuestionType.MultipleChoice:
                {
                    var chosen = values.Select(v => Index(v, question.OptionCount)).ToList();
                    if (chosen.Any(c => c is null))
                    {
                        return null;
                    }
                    return [.. chosen.Select(c => c!.Value).Distinct().Order()
                    .Select((option, item) => new SurveyAnswer { ResponseId = responseId, QuestionId = question.Id, Item = item, Option = option })];
                }
            case SurveyQuestionType.Rating:
                {
                    return values.Count == 1 && int.TryParse(values[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rating)
                        && rating is >= SurveyQuestion.MinRating and <= SurveyQuestion.MaxRating
                        ? [new SurveyAnswer { ResponseId = responseId, QuestionId = question.Id, Rating = rating }]
                        : null;
                }
            default:
                {
                    var text = Clean(string.Join("\n", values));
                    return values.Count == 1 && text.Length <= SurveyQuestion.MaxFreeText && !text.Any(c => char.IsControl(c) && c is not '\n' and not '\t')
                        ? [new SurveyAnswer { ResponseId = responseId, QuestionId = question.Id, Text = text }]
                        : null;
                }
        }
    }

    /// <summary>Why a question's values were refused: a resource key for the page to show beside it.</summary>
    private static string ErrorOf(SurveyQuestion question, List<string> values)
    {
        if (values.Count == 0)
        {
            return "Survey.Error.Required";
        }
        return question.Type switch
        {
            SurveyQuestionType.Rating => "Survey.Error.Rating",
            SurveyQuestionType.FreeText when Clean(values[0]).Length > SurveyQuestion.MaxFreeText => "Survey.Error.TextTooLong",
            SurveyQuestionType.FreeText => "Survey.Error.NotAllowed",
            _ => "Survey.Error.Option",
        };
    }

    private static int? Index(string value, int count) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < count ? index : null;

    private async Task<CampaignResult?> EditableAsync(long campaignId, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.AsNoTracking().Where(c => c.Id == campaignId).Select(c => new { c.Kind, c.Status }).SingleOrDefaultAsync(cancellationToken);
        if (campaign is null)
        {
            return CampaignResult.NotFound;
        }
        return campaign.Kind == CampaignKind.Survey && campaign.Status is CampaignStatus.Draft or CampaignStatus.Scheduled ? null : CampaignResult.WrongState;
    }

    private static void Apply(SurveyQuestion question, SurveyQuestionInput input)
    {
        question.Type = input.Type;
        question.Required = input.Required;
        foreach (var code in Languages.All)
        {
            var typed = input.Texts.FirstOrDefault(t => t.Language == code);
            var prompt = Clean(typed?.Prompt);
            var options = question.HasOptions ? string.Join("\n", SurveyQuestionText.Split(typed?.Options)) : "";
            var text = question.Texts.FirstOrDefault(t => t.Language == code);
            if (prompt.Length == 0)
            {
                if (text is not null)
                {
                    question.Texts.Remove(text);
                }
                continue;
            }
            if (text is null)
            {
                text = new SurveyQuestionText { Language = code };
                question.Texts.Add(text);
            }
            text.Prompt = prompt;
            text.Options = options;
        }
    }

    private static void Renumber(List<SurveyQuestion> questions)
    {
        for (var i = 0; i < questions.Count; i++)
        {
            questions[i].Position = i + 1;
        }
    }

    private static string Outcome(SurveyQuestion question) =>
        "question:" + question.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + question.Type;

    /// <summary>Browsers send a textarea's line breaks as CR LF: kept as LF, trimmed.</summary>
    private static string Clean(string? text) => (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
}

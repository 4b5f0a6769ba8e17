using Derbes.Web.Localization;

namespace Derbes.Web.Privacy;

/// <summary>
/// The next edition of the policy while the Privacy Officer writes it. There is one draft at a time (its id is
/// always <see cref="TheId"/>), so two officers work on the same text rather than on rival drafts; publishing
/// turns it into an edition and deletes it. <see cref="Version"/> changes with every save: a form shown before
/// someone else saved, or a preview of an older text, cannot be saved or published over it.
/// </summary>
public sealed class PolicyDraft
{
    public const int TheId = 1;
    public const int MaxTitle = 200;
    public const int MaxSummary = 1000;
    public const int MaxBody = 200_000;

    public int Id { get; set; } = TheId;
    /// <summary>The new edition changes purposes or recipients: customers must agree again (Art. 7 p.6, 15 p.2).</summary>
    public bool ChangesPurposes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
    public Guid Version { get; set; } = Guid.NewGuid();
    public List<PolicyDraftText> Texts { get; set; } = [];

    public PolicyDraftText Text(string language)
    {
        var text = Texts.FirstOrDefault(t => t.Language == language);
        if (text is null)
        {
            text = new PolicyDraftText { DraftId = Id, Language = language };
            Texts.Add(text);
        }
        return text;
    }

    /// <summary>
    /// What stops publication, as (language, field) pairs: Kazakh (authoritative) and Russian are required in
    /// full; English is optional, but if begun it must be complete, so no reader gets half a translation.
    /// </summary>
    public List<(string Language, string Field)> MissingForPublication()
    {
        var missing = new List<(string, string)>();
        foreach (var language in Languages.All)
        {
            var text = Texts.FirstOrDefault(t => t.Language == language) ?? new PolicyDraftText { Language = language };
            if (language == Languages.English && text.IsEmpty)
            {
                continue;
            }
            if (string.IsNullOrWhiteSpace(text.Title))
            {
                missing.Add((language, nameof(PolicyDraftText.Title)));
            }
            if (string.IsNullOrWhiteSpace(text.Summary))
            {
                missing.Add((language, nameof(PolicyDraftText.Summary)));
            }
            if (string.IsNullOrWhiteSpace(text.Body))
            {
                missing.Add((language, nameof(PolicyDraftText.Body)));
            }
        }
        return missing;
    }
}

/// <summary>One language of the draft: the title, a short plain "what changed" summary and the Markdown body.</summary>
public sealed class PolicyDraftText
{
    public int DraftId { get; set; }
    public string Language { get; set; } = "";
    public string Title { get; set; } = "";
    public string Summary { get; set; } = "";
    public string Body { get; set; } = "";

    public bool IsEmpty => string.IsNullOrWhiteSpace(Title) && string.IsNullOrWhiteSpace(Summary) && string.IsNullOrWhiteSpace(Body);
}

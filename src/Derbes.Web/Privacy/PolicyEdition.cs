namespace Derbes.Web.Privacy;

/// <summary>A published edition of the privacy policy. Once published it never changes (policy 5.4).</summary>
public sealed class PolicyEdition
{
    public int Number { get; set; }
    public DateTimeOffset PublishedAt { get; set; }
    public List<PolicyText> Texts { get; set; } = [];

    public PolicyText? Text(string language) => Texts.FirstOrDefault(t => t.Language == language);
}

public enum PolicyTextFormat
{
    /// <summary>Plain text, shown line by line (edition 1, verbatim from the seed).</summary>
    Plain = 0,
    Markdown = 1,
}

public sealed class PolicyText
{
    public int EditionNumber { get; set; }
    public string Language { get; set; } = "";
    /// <summary>The Kazakh text is authoritative; other languages are translations and say so.</summary>
    public bool IsTranslation { get; set; }
    public PolicyTextFormat Format { get; set; }
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
    public string Summary { get; set; } = "";
    public string Sha256 { get; set; } = "";
}

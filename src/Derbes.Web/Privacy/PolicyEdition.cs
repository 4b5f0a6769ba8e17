using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Privacy;

/// <summary>A published edition of the privacy policy. Once published it never changes (policy 5.4).</summary>
public sealed class PolicyEdition
{
    public int Number { get; set; }
    public DateTimeOffset PublishedAt { get; set; }
    /// <summary>
    /// The edition changes the purposes of processing or the recipients of data: customers must agree again
    /// before they go on using the cabinet (Art. 7 p.6, 15 p.2). Otherwise they are only informed.
    /// </summary>
    public bool RequiresReconsent { get; set; }

    public List<PolicyText> Texts { get; set; } = [];

    public PolicyText? Text(string language) => Texts.FirstOrDefault(t => t.Language == language);

    /// <summary>
    /// The number of the edition in force, the latest published (1 before the seed has run): the words of every
    /// consent recorded now are those of this edition.
    /// </summary>
    public static async Task<int> InForceAsync(Data.DerbesDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.PolicyEditions.MaxAsync(e => (int?)e.Number, cancellationToken) ?? 1;
    }
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

/// <summary>
/// How far the emails telling every active customer about an edition have been queued: customers are taken in the
/// order of their customer number, a batch at a time, and the cursor moves only if no other instance moved it first.
/// </summary>
public sealed class PolicyNoticeRun
{
    public int EditionNumber { get; set; }
    /// <summary>The customer number of the last customer queued ("" before the first batch).</summary>
    public string Cursor { get; set; } = "";
    public int Queued { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

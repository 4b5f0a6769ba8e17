using System.Globalization;
using Derbes.Web.Calendar;

namespace Derbes.Web.Disclosures;

/// <summary>Who received the data (policy 3.4: state bodies; 3.5: other third parties).</summary>
public enum RecipientKind
{
    InquiryBody = 0,
    InvestigationBody = 1,
    Court = 2,
    LocalGovernment = 3,
    OtherStateBody = 4,
    ThirdParty = 5,
}

/// <summary>Why the data could be given (the policy's own clauses).</summary>
public enum DisclosureBasis
{
    /// <summary>3.4.1: a lawful request of a state body, with its number and date.</summary>
    LawfulRequest = 0,
    /// <summary>3.4.2: another case the law provides, with the article.</summary>
    OtherLegalCase = 1,
    /// <summary>3.5.1: the customer's own consent to transfer to third parties.</summary>
    CustomerConsent = 2,
    /// <summary>3.5.2: needed to provide the service the customer uses.</summary>
    NeededForService = 3,
}

/// <summary>The kinds of data that were given; a disclosure lists every kind it included.</summary>
[Flags]
public enum DataCategory
{
    None = 0,
    Name = 1,
    Email = 2,
    Phone = 4,
    Documents = 8,
    Consents = 16,
    SignIns = 32,
    AccountDetails = 64,
}

/// <summary>How the data left the operator.</summary>
public enum DisclosureChannel
{
    Paper = 0,
    OfficialElectronicSystem = 1,
    EncryptedEmail = 2,
    Courier = 3,
    InPerson = 4,
}

/// <summary>
/// One line of the disclosure register (Art. 22 p.1: the operator registers every transfer; policy 3.4, 3.5):
/// who received what about whom, on which basis, through which channel, approved by whom, and whether the
/// customers may be told. Never edited after it is recorded, except that a confidential disclosure may later be
/// made visible to the customers it concerns.
/// </summary>
public sealed class Disclosure
{
    public long Id { get; set; }
    public DateOnly DisclosedOn { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public Guid RecordedBy { get; set; }
    public RecipientKind RecipientKind { get; set; }
    public string RecipientName { get; set; } = "";
    public DisclosureBasis Basis { get; set; }
    public string? RequestNumber { get; set; }
    public DateOnly? RequestDate { get; set; }
    public string? LegalArticle { get; set; }
    public string Purpose { get; set; } = "";
    public DataCategory Categories { get; set; }
    public DisclosureChannel Channel { get; set; }
    public Guid ApprovedBy { get; set; }
    /// <summary>The customers may not be told (an investigation's request, say): hidden from their cabinet, no email.</summary>
    public bool Confidential { get; set; }
    public DateTimeOffset? ConfidentialityLiftedAt { get; set; }
    public Guid? ConfidentialityLiftedBy { get; set; }
    public int CustomerCount { get; set; }

    /// <summary>The register number people quote: the year it was recorded and the line.</summary>
    public string Number => string.Create(CultureInfo.InvariantCulture, $"D-{RecordedAt.ToAlmaty().Year}-{Id:D6}");

    public bool IsStateBody => RecipientKind != RecipientKind.ThirdParty;

    /// <summary>The clause of the policy the basis stands on.</summary>
    public static string Clause(DisclosureBasis basis) => basis switch
    {
        DisclosureBasis.LawfulRequest => "3.4.1",
        DisclosureBasis.OtherLegalCase => "3.4.2",
        DisclosureBasis.CustomerConsent => "3.5.1",
        _ => "3.5.2",
    };

    /// <summary>Every category there is, in a fixed order.</summary>
    public static IReadOnlyList<DataCategory> AllCategories { get; } = [.. Enum.GetValues<DataCategory>().Where(c => c != DataCategory.None)];

    /// <summary>The categories one by one, in a fixed order.</summary>
    public static IEnumerable<DataCategory> Each(DataCategory categories) => AllCategories.Where(c => categories.HasFlag(c));
}

/// <summary>A customer whose data a disclosure included, and when they were told of it (Art. 19).</summary>
public sealed class DisclosureSubject
{
    public long DisclosureId { get; set; }
    public Guid AccountId { get; set; }
    public DateTimeOffset? NotifiedAt { get; set; }
}

using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Messaging;

/// <summary>
/// Who the operator is and where the site lives (Art. 8 p.4 and 25: shown on the policy and in every email).
/// Everything but the URL and the name can also be set by an Administrator at /admin/settings, which overrides
/// configuration; read it through <c>IOptionsMonitor</c> so a change applies without a restart.
/// </summary>
public sealed class SiteOptions
{
    public const string Section = "Site";

    /// <summary>The country the law asks the database of personal data to be in (Art. 12 p.2).</summary>
    public const string Kazakhstan = "KZ";

    /// <summary>The origin used in every link sent by email or SMS; never taken from the request's Host header.</summary>
    [Required, Url]
    public string PublicUrl { get; set; } = "http://localhost:5000";
    [Required]
    public string Name { get; set; } = "SMALL";
    [Required, EmailAddress]
    public string CareEmail { get; set; } = "care@small.kz";
    /// <summary>Where customers write to the operator on paper (Art. 8 p.4: the operator's address in the policy).</summary>
    public string CareAddress { get; set; } = "";
    public string OperatorName { get; set; } = "SMALL";
    /// <summary>The operator's business identification number (12 digits, see <c>KazakhIdNumber</c>).</summary>
    public string OperatorBin { get; set; } = "";

    /// <summary>The person responsible for organising the processing of personal data (Art. 25).</summary>
    public string ResponsibleName { get; set; } = "";
    public string ResponsiblePosition { get; set; } = "";
    public string ResponsibleEmail { get; set; } = "";
    /// <summary>E.164; a landline is allowed here.</summary>
    public string ResponsiblePhone { get; set; } = "";

    /// <summary>ISO 3166 code of the country where the database with personal data is hosted (Art. 12 p.2); empty until stated.</summary>
    public string DatabaseCountry { get; set; } = "";
    /// <summary>ISO 3166 code of the country where the archive (backup) copies are kept; empty until stated.</summary>
    public string ArchiveCountry { get; set; } = "";
    /// <summary>Free statement of where the database and its archive copies are hosted (data centre, city, provider).</summary>
    public string DataLocation { get; set; } = "";

    /// <summary>
    /// Whether the data location is stated and within Kazakhstan. Art. 12 p.2 requires the database holding
    /// personal data to be in Kazakhstan; an unstated location cannot be shown to an auditor either.
    /// </summary>
    public DataLocationStatus DataLocationStatus =>
        string.IsNullOrWhiteSpace(DatabaseCountry) || string.IsNullOrWhiteSpace(ArchiveCountry) ? DataLocationStatus.NotStated
        : IsKazakhstan(DatabaseCountry) && IsKazakhstan(ArchiveCountry) ? DataLocationStatus.Kazakhstan
        : DataLocationStatus.Abroad;

    public string Link(string pathAndQuery) => PublicUrl.TrimEnd('/') + pathAndQuery;

    private static bool IsKazakhstan(string country) => string.Equals(country.Trim(), Kazakhstan, StringComparison.OrdinalIgnoreCase);
}

public enum DataLocationStatus
{
    NotStated,
    Kazakhstan,
    /// <summary>The database or its archive copies are (at least partly) outside Kazakhstan.</summary>
    Abroad,
}

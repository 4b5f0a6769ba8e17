using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Messaging;

/// <summary>Who the operator is and where the site lives (Art. 8 p.4 and 25: shown on the policy and in every email).</summary>
public sealed class SiteOptions
{
    public const string Section = "Site";

    /// <summary>The origin used in every link sent by email or SMS; never taken from the request's Host header.</summary>
    [Required, Url]
    public string PublicUrl { get; set; } = "http://localhost:5000";
    [Required]
    public string Name { get; set; } = "SMALL";
    [Required, EmailAddress]
    public string CareEmail { get; set; } = "care@small.kz";
    public string OperatorName { get; set; } = "SMALL";
    public string OperatorBin { get; set; } = "";

    public string Link(string pathAndQuery) => PublicUrl.TrimEnd('/') + pathAndQuery;
}

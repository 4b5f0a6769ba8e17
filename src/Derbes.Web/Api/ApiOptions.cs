using System.ComponentModel.DataAnnotations;

namespace Derbes.Web.Api;

/// <summary>The lifetimes of the app's tokens.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Short: a leaked access token is worth minutes. Every call also checks the session, so revocation is immediate regardless.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An app not opened for this long signs in again; each refresh starts the period anew (the token is rotated).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
}

namespace Derbes.Web.Settings;

/// <summary>
/// One configuration value set by an Administrator at /admin/settings, overriding appsettings and the
/// environment (see <see cref="DatabaseSettingsProvider"/>). Only keys in <see cref="EditableSettings"/> are ever
/// read back, so a row cannot redirect the database, the keys or anything else the page does not offer.
/// </summary>
public sealed class Setting
{
    /// <summary>A configuration key, as in appsettings (<c>Site:OperatorName</c>).</summary>
    public string Key { get; set; } = "";
    /// <summary>The value as configuration reads it (E.164 phones, TimeSpans as <c>d.hh:mm:ss</c>).</summary>
    public string Value { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>The staff account id of whoever saved it last.</summary>
    public string UpdatedBy { get; set; } = "";
}

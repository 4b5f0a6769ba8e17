using System.Globalization;
using Derbes.Web.Documents;
using Derbes.Web.Messaging;
using Derbes.Web.Security;

namespace Derbes.Web.Settings;

public enum SettingKind
{
    Text,
    /// <summary>A <see cref="TimeSpan"/>, stored as configuration writes one (<c>30.00:00:00</c>).</summary>
    Duration,
    Count,
}

/// <summary>A configuration key the settings page edits, with the value that applies when nobody configured it.</summary>
/// <param name="Key">The configuration key, as in appsettings.</param>
/// <param name="Kind">How the value is written, so that equal values compare equal.</param>
/// <param name="Default">What applies when neither configuration nor the page sets it (the options class's default).</param>
/// <param name="Personal">The value identifies a person: the audit trail records that it changed, never what to.</param>
public sealed record SettingDefinition(string Key, SettingKind Kind, string Default, bool Personal = false)
{
    /// <summary>
    /// The value as the page stores it, so that "30.00:00:00" configured and 30 days typed compare equal.
    /// Anything that does not parse is kept as it is (it then simply differs).
    /// </summary>
    public string Canonical(string? value)
    {
        value ??= "";
        return Kind switch
        {
            SettingKind.Duration when TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) => Format(span),
            SettingKind.Count when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => Format(number),
            _ => value,
        };
    }

    public static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Every key an Administrator may set at /admin/settings (issue 4). This list is the whole of what the Settings
/// table can override: connection strings, keys, URLs and the like stay in configuration only.
/// </summary>
public static class EditableSettings
{
    public const string OperatorName = SiteOptions.Section + ":" + nameof(SiteOptions.OperatorName);
    public const string OperatorBin = SiteOptions.Section + ":" + nameof(SiteOptions.OperatorBin);
    public const string ResponsibleName = SiteOptions.Section + ":" + nameof(SiteOptions.ResponsibleName);
    public const string ResponsiblePosition = SiteOptions.Section + ":" + nameof(SiteOptions.ResponsiblePosition);
    public const string ResponsibleEmail = SiteOptions.Section + ":" + nameof(SiteOptions.ResponsibleEmail);
    public const string ResponsiblePhone = SiteOptions.Section + ":" + nameof(SiteOptions.ResponsiblePhone);
    public const string CareAddress = SiteOptions.Section + ":" + nameof(SiteOptions.CareAddress);
    public const string CareEmail = SiteOptions.Section + ":" + nameof(SiteOptions.CareEmail);
    public const string DatabaseCountry = SiteOptions.Section + ":" + nameof(SiteOptions.DatabaseCountry);
    public const string ArchiveCountry = SiteOptions.Section + ":" + nameof(SiteOptions.ArchiveCountry);
    public const string DataLocation = SiteOptions.Section + ":" + nameof(SiteOptions.DataLocation);
    public const string VerifiedRetention = DocumentOptions.Section + ":" + nameof(DocumentOptions.VerifiedRetention);
    /// <summary>Read by the audit trail's retention job (<c>AuditOptions.Retention</c>, section "Audit").</summary>
    public const string AuditRetention = "Audit:Retention";
    public const string AccountPostsPerWindow = RateLimitOptions.Section + ":" + nameof(RateLimitOptions.AccountPostsPerWindow);
    public const string RateWindow = RateLimitOptions.Section + ":" + nameof(RateLimitOptions.Window);
    // The retention table's other periods (issue 9; /admin/retention shows them all).
    public const string RejectedRetention = DocumentOptions.Section + ":" + nameof(DocumentOptions.RejectedRetention);
    public const string UnconfirmedAccounts = Retention.RetentionOptions.Section + ":" + nameof(Retention.RetentionOptions.UnconfirmedAccounts);
    public const string SignInHistory = Retention.RetentionOptions.Section + ":" + nameof(Retention.RetentionOptions.SignInHistory);

    /// <summary>Three years unless configured: longer than any limitation period a complaint could rely on.</summary>
    public static readonly TimeSpan DefaultAuditRetention = TimeSpan.FromDays(1095);

    public static readonly IReadOnlyList<SettingDefinition> All = Build();

    public static SettingDefinition? Find(string key) =>
        All.FirstOrDefault(d => string.Equals(d.Key, key, StringComparison.OrdinalIgnoreCase));

    public static bool IsEditable(string key) => Find(key) is not null;

    private static List<SettingDefinition> Build()
    {
        var site = new SiteOptions();
        var documents = new DocumentOptions();
        var rates = new RateLimitOptions();
        var retention = new Retention.RetentionOptions();
        return
        [
            new(OperatorName, SettingKind.Text, site.OperatorName),
            new(OperatorBin, SettingKind.Text, site.OperatorBin),
            new(ResponsibleName, SettingKind.Text, site.ResponsibleName, Personal: true),
            new(ResponsiblePosition, SettingKind.Text, site.ResponsiblePosition),
            new(ResponsibleEmail, SettingKind.Text, site.ResponsibleEmail, Personal: true),
            new(ResponsiblePhone, SettingKind.Text, site.ResponsiblePhone, Personal: true),
            new(CareAddress, SettingKind.Text, site.CareAddress),
            new(CareEmail, SettingKind.Text, site.CareEmail),
            new(DatabaseCountry, SettingKind.Text, site.DatabaseCountry),
            new(ArchiveCountry, SettingKind.Text, site.ArchiveCountry),
            new(DataLocation, SettingKind.Text, site.DataLocation),
            new(VerifiedRetention, SettingKind.Duration, SettingDefinition.Format(documents.VerifiedRetention)),
            new(AuditRetention, SettingKind.Duration, SettingDefinition.Format(DefaultAuditRetention)),
            new(AccountPostsPerWindow, SettingKind.Count, SettingDefinition.Format(rates.AccountPostsPerWindow)),
            new(RateWindow, SettingKind.Duration, SettingDefinition.Format(rates.Window)),
            new(RejectedRetention, SettingKind.Duration, SettingDefinition.Format(documents.RejectedRetention)),
            new(UnconfirmedAccounts, SettingKind.Duration, SettingDefinition.Format(retention.UnconfirmedAccounts)),
            new(SignInHistory, SettingKind.Duration, SettingDefinition.Format(retention.SignInHistory)),
        ];
    }
}

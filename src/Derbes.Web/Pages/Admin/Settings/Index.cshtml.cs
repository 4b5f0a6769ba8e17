using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Derbes.Web.Customers;
using Derbes.Web.Security;
using Derbes.Web.Settings;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Admin.Settings;

/// <summary>
/// The operator's settings (issue 4, Administrator): who the operator is, the person responsible for personal
/// data (Art. 25), the care address, where the data is hosted (Art. 12 p.2), retention periods and the per-IP
/// limit. What is saved here overrides configuration and applies without a restart; every changed key is audited.
/// </summary>
[Authorize(Roles = StaffRoles.Administrator)]
public sealed partial class IndexModel(SettingsStore store, StaffDirectory staff, Backups.ArchiveCopies archives, IOptionsMonitor<Backups.BackupOptions> backup, IStringLocalizer<SharedResource> l) : PageModel
{
    /// <summary>The countries offered for the data location; any other two-letter code already configured is offered too.</summary>
    public static readonly string[] Countries = ["KZ", "RU", "KG", "UZ", "DE", "NL", "FI", "IE", "US"];

    private const string SingleLine = @"^[^\p{Cc}]*$";
    private const string MultiLine = @"^(?:[^\p{Cc}]|\r|\n)*$";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public SettingsSnapshot Snapshot { get; private set; } = null!;

    /// <summary>Where archive copies and key copies are written, when, for how long, and the newest one.</summary>
    public ArchiveFacts Archives { get; private set; } = null!;

    public sealed record ArchiveFacts(string Directory, string KeyDirectory, bool Scheduled, TimeOnly At, int RetentionDays, int KeyRetentionDays, Backups.BackupManifest? Latest);

    /// <summary>Who saved each setting, as the staff list shows them (their email), by account id.</summary>
    public Dictionary<string, string> Editors { get; } = new(StringComparer.Ordinal);

    /// <summary>Set when another Administrator saved after this form was shown.</summary>
    public bool Conflict { get; private set; }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Validation.Required"), StringLength(200, ErrorMessage = "Validation.TooLong"), RegularExpression(SingleLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? OperatorName { get; set; }
        [Required(ErrorMessage = "Validation.Required"), StringLength(32, ErrorMessage = "Settings.BinInvalid")]
        public string? OperatorBin { get; set; }

        [StringLength(200, ErrorMessage = "Validation.TooLong"), RegularExpression(SingleLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? ResponsibleName { get; set; }
        [StringLength(200, ErrorMessage = "Validation.TooLong"), RegularExpression(SingleLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? ResponsiblePosition { get; set; }
        [StringLength(254, ErrorMessage = "Validation.TooLong")]
        public string? ResponsibleEmail { get; set; }
        [StringLength(32, ErrorMessage = "Settings.PhoneInvalid")]
        public string? ResponsiblePhone { get; set; }

        [StringLength(500, ErrorMessage = "Validation.TooLong"), RegularExpression(MultiLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? CareAddress { get; set; }
        [Required(ErrorMessage = "Validation.Required"), StringLength(254, ErrorMessage = "Validation.TooLong")]
        public string? CareEmail { get; set; }

        [StringLength(2, ErrorMessage = "Settings.CountryInvalid")]
        public string? DatabaseCountry { get; set; }
        [StringLength(2, ErrorMessage = "Settings.CountryInvalid")]
        public string? ArchiveCountry { get; set; }
        [StringLength(500, ErrorMessage = "Validation.TooLong"), RegularExpression(MultiLine, ErrorMessage = "Validation.NoControlCharacters")]
        public string? DataLocation { get; set; }

        /// <summary>Art. 7 p.9: no longer than the purpose needs; a year at most.</summary>
        [Required(ErrorMessage = "Validation.Required"), Range(1, 365, ErrorMessage = "Settings.Range")]
        public int? VerifiedRetentionDays { get; set; }
        /// <summary>At least a year (complaints and checks look back that far), at most ten.</summary>
        [Required(ErrorMessage = "Validation.Required"), Range(365, 3650, ErrorMessage = "Settings.Range")]
        public int? AuditRetentionDays { get; set; }

        // The retention table's other periods (issue 9).
        /// <summary>Time to ask about a rejection or send another document; a year at most.</summary>
        [Required(ErrorMessage = "Validation.Required"), Range(1, 365, ErrorMessage = "Settings.Range")]
        public int? RejectedRetentionDays { get; set; }
        /// <summary>Time to find the confirmation email; a year at most.</summary>
        [Required(ErrorMessage = "Validation.Required"), Range(1, 365, ErrorMessage = "Settings.Range")]
        public int? UnconfirmedAccountsDays { get; set; }
        /// <summary>Long enough to answer a question about access to an account, at most ten years.</summary>
        [Required(ErrorMessage = "Validation.Required"), Range(30, 3650, ErrorMessage = "Settings.Range")]
        public int? SignInHistoryDays { get; set; }

        [Required(ErrorMessage = "Validation.Required"), Range(1, 10_000, ErrorMessage = "Settings.Range")]
        public int? AccountPostsPerWindow { get; set; }
        [Required(ErrorMessage = "Validation.Required"), Range(10, 3600, ErrorMessage = "Settings.Range")]
        public int? WindowSeconds { get; set; }

        /// <summary>The version of the settings the form was shown with (see <see cref="SettingsStore"/>).</summary>
        public string? Version { get; set; }
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        Input = FromSnapshot(Snapshot);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var values = Validated();
        if (!ModelState.IsValid || values is null)
        {
            await LoadAsync(cancellationToken);
            return Page();
        }
        var actor = User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        var result = await store.SaveAsync(Input.Version, values, actor, cancellationToken);
        if (result == SettingsSaveResult.Conflict)
        {
            // Nothing was saved: the form shows what applies now, and the Administrator decides again.
            ModelState.Clear();
            Conflict = true;
            await LoadAsync(cancellationToken);
            Input = FromSnapshot(Snapshot);
            return Page();
        }
        TempData["Notice"] = result == SettingsSaveResult.Saved ? "Settings.Saved" : "Settings.Unchanged";
        return RedirectToPage();
    }

    /// <summary>The form's values as configuration stores them, or null with the errors in ModelState.</summary>
    private Dictionary<string, string>? Validated()
    {
        var i = Input;
        var bin = Digits(i.OperatorBin);
        if (!string.IsNullOrEmpty(i.OperatorBin) && !KazakhIdNumber.IsValid(bin))
        {
            ModelState.AddModelError("Input.OperatorBin", l["Settings.BinInvalid"]);
        }
        var responsibleEmail = (i.ResponsibleEmail ?? "").Trim();
        if (responsibleEmail.Length > 0 && !EmailAddresses.IsDeliverable(responsibleEmail))
        {
            ModelState.AddModelError("Input.ResponsibleEmail", l["Validation.Email"]);
        }
        var phone = "";
        if (!string.IsNullOrWhiteSpace(i.ResponsiblePhone) && !KazakhPhone.TryNormaliseAnyLine(i.ResponsiblePhone, out phone))
        {
            ModelState.AddModelError("Input.ResponsiblePhone", l["Settings.PhoneInvalid"]);
        }
        var careEmail = (i.CareEmail ?? "").Trim();
        if (careEmail.Length > 0 && !EmailAddresses.IsDeliverable(careEmail))
        {
            ModelState.AddModelError("Input.CareEmail", l["Validation.Email"]);
        }
        var databaseCountry = Country(i.DatabaseCountry, "Input.DatabaseCountry");
        var archiveCountry = Country(i.ArchiveCountry, "Input.ArchiveCountry");
        if (!ModelState.IsValid)
        {
            return null;
        }
        return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [EditableSettings.OperatorName] = (i.OperatorName ?? "").Trim(),
            [EditableSettings.OperatorBin] = bin,
            [EditableSettings.ResponsibleName] = (i.ResponsibleName ?? "").Trim(),
            [EditableSettings.ResponsiblePosition] = (i.ResponsiblePosition ?? "").Trim(),
            [EditableSettings.ResponsibleEmail] = responsibleEmail,
            [EditableSettings.ResponsiblePhone] = phone,
            [EditableSettings.CareAddress] = Lines(i.CareAddress),
            [EditableSettings.CareEmail] = careEmail,
            [EditableSettings.DatabaseCountry] = databaseCountry,
            [EditableSettings.ArchiveCountry] = archiveCountry,
            [EditableSettings.DataLocation] = Lines(i.DataLocation),
            [EditableSettings.VerifiedRetention] = SettingDefinition.Format(TimeSpan.FromDays(i.VerifiedRetentionDays!.Value)),
            [EditableSettings.AuditRetention] = SettingDefinition.Format(TimeSpan.FromDays(i.AuditRetentionDays!.Value)),
            [EditableSettings.AccountPostsPerWindow] = SettingDefinition.Format(i.AccountPostsPerWindow!.Value),
            [EditableSettings.RateWindow] = SettingDefinition.Format(TimeSpan.FromSeconds(i.WindowSeconds!.Value)),
            [EditableSettings.RejectedRetention] = SettingDefinition.Format(TimeSpan.FromDays(i.RejectedRetentionDays!.Value)),
            [EditableSettings.UnconfirmedAccounts] = SettingDefinition.Format(TimeSpan.FromDays(i.UnconfirmedAccountsDays!.Value)),
            [EditableSettings.SignInHistory] = SettingDefinition.Format(TimeSpan.FromDays(i.SignInHistoryDays!.Value)),
        };
    }

    /// <summary>An ISO 3166 alpha-2 code (Latin A–Z), or empty for "not stated".</summary>
    private string Country(string? typed, string field)
    {
        var code = (typed ?? "").Trim().ToUpperInvariant();
        if (code.Length > 0 && !CountryCode().IsMatch(code))
        {
            ModelState.AddModelError(field, l["Settings.CountryInvalid"]);
        }
        return code;
    }

    /// <summary>A BIN as people write it ("9001 0130 0017") is its twelve digits.</summary>
    private static string Digits(string? typed) =>
        new((typed ?? "").Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());

    private static string Lines(string? typed) => (typed ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Trim();

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var settings = backup.CurrentValue;
        Archives = new ArchiveFacts(archives.Directory, archives.KeyDirectory, settings.Scheduled, settings.At,
            (int)settings.Retention.TotalDays, (int)settings.KeyRetention.TotalDays, await archives.LatestAsync(cancellationToken));
        Snapshot = await store.ReadAsync(cancellationToken);
        foreach (var id in Snapshot.States.Values.Select(s => s.UpdatedBy).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var member = Guid.TryParse(id, out var guid) ? await staff.FindAsync(guid, cancellationToken) : null;
            Editors[id] = member?.Email ?? id;
        }
    }

    private static InputModel FromSnapshot(SettingsSnapshot snapshot) => new()
    {
        OperatorName = snapshot[EditableSettings.OperatorName].Value,
        OperatorBin = snapshot[EditableSettings.OperatorBin].Value,
        ResponsibleName = snapshot[EditableSettings.ResponsibleName].Value,
        ResponsiblePosition = snapshot[EditableSettings.ResponsiblePosition].Value,
        ResponsibleEmail = snapshot[EditableSettings.ResponsibleEmail].Value,
        ResponsiblePhone = snapshot[EditableSettings.ResponsiblePhone].Value,
        CareAddress = snapshot[EditableSettings.CareAddress].Value,
        CareEmail = snapshot[EditableSettings.CareEmail].Value,
        DatabaseCountry = snapshot[EditableSettings.DatabaseCountry].Value,
        ArchiveCountry = snapshot[EditableSettings.ArchiveCountry].Value,
        DataLocation = snapshot[EditableSettings.DataLocation].Value,
        VerifiedRetentionDays = Whole(snapshot[EditableSettings.VerifiedRetention].Value, t => t.TotalDays),
        AuditRetentionDays = Whole(snapshot[EditableSettings.AuditRetention].Value, t => t.TotalDays),
        AccountPostsPerWindow = int.TryParse(snapshot[EditableSettings.AccountPostsPerWindow].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var posts) ? posts : null,
        WindowSeconds = Whole(snapshot[EditableSettings.RateWindow].Value, t => t.TotalSeconds),
        RejectedRetentionDays = Whole(snapshot[EditableSettings.RejectedRetention].Value, t => t.TotalDays),
        UnconfirmedAccountsDays = Whole(snapshot[EditableSettings.UnconfirmedAccounts].Value, t => t.TotalDays),
        SignInHistoryDays = Whole(snapshot[EditableSettings.SignInHistory].Value, t => t.TotalDays),
        Version = snapshot.Version,
    };

    private static int? Whole(string value, Func<TimeSpan, double> unit) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) ? (int)Math.Round(unit(span)) : null;

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryCode();
}

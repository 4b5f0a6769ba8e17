using System.Globalization;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Calendar;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Security;
using Derbes.Web.Statistics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Admin.Statistics;

/// <summary>
/// The depersonalised statistics (policy 2.2.5, Art. 17) for Marketing and the PrivacyOfficer: figures by period,
/// language, purpose, channel, campaign and kind, from the daily aggregates only (<see cref="StatisticsReport"/>), with
/// the "&lt;10" rule in the page, the charts and the CSV alike. Looking at counts is not access to anyone's personal
/// data, so a view is not audited; an export is (who took which table of which range), as every export from the back
/// office is.
/// </summary>
[Authorize(Roles = Roles)]
public sealed class IndexModel(
    StatisticsReport report,
    AuditTrail audit,
    DerbesDb db,
    TimeProvider clock,
    IOptionsMonitor<StatisticsOptions> options,
    IStringLocalizer<SharedResource> l) : PageModel
{
    public const string Roles = StaffRoles.Marketing + "," + StaffRoles.PrivacyOfficer;

    [BindProperty(SupportsGet = true)]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? To { get; set; }

    /// <summary>"kk", "ru", "en", or empty for all languages.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Language { get; set; }

    [BindProperty(SupportsGet = true)]
    public StatisticsGrouping? Group { get; set; }

    public StatisticsReportData? Data { get; private set; }

    public StatisticsFilter? Filter { get; private set; }

    public int Minimum => options.CurrentValue.MinimumCell;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Validate() is { } filter)
        {
            Filter = filter;
            Data = await report.BuildAsync(filter, cancellationToken);
        }
        return Page();
    }

    /// <summary>One table of the page as CSV, cell for cell as the page shows it ("&lt;10" included), named with its range.</summary>
    public async Task<IActionResult> OnGetCsvAsync(string? table, CancellationToken cancellationToken)
    {
        if (table is null || !StatisticsReport.TableIds.Contains(table, StringComparer.Ordinal))
        {
            return NotFound();
        }
        if (Validate() is not { } filter)
        {
            return Page();
        }
        Filter = filter;
        var data = await report.BuildAsync(filter, cancellationToken);
        var chosen = data.Tables.Single(t => t.Id == table);
        var range = filter.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "_" + filter.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        audit.Record("statistics.exported", "statistics:" + table,
            outcome: range + " " + (filter.Language.Length == 0 ? "all" : filter.Language) + " " + filter.Grouping.ToString().ToLowerInvariant());
        await db.SaveChangesAsync(cancellationToken);

        var csv = new StringBuilder();
        csv.AppendJoin(',', chosen.Columns.Select(Csv.Cell)).Append("\r\n");
        foreach (var row in chosen.Rows)
        {
            csv.AppendJoin(',', [Csv.Cell(row.Label), .. row.Cells.Select(c => Csv.Cell(c.Text))]).Append("\r\n");
        }
        var suffix = filter.Language.Length == 0 ? "" : "-" + filter.Language;
        return File(Csv.Bytes(csv), "text/csv; charset=utf-8", $"derbes-statistics-{table}-{range}{suffix}.csv");
    }

    /// <summary>The filter, or null with an error on each field that is wrong (a date that is no date, a reversed or too long range).</summary>
    private StatisticsFilter? Validate()
    {
        var today = WorkingCalendar.AlmatyDate(clock.GetUtcNow());
        if (ModelState.IsValid)
        {
            var to = To ?? today;
            var from = From ?? to.AddDays(-29);
            if (Language is { Length: > 0 } && !Languages.IsSupported(Language))
            {
                ModelState.AddModelError(nameof(Language), l["Statistics.BadLanguage"]);
            }
            if (to < from)
            {
                ModelState.AddModelError(nameof(To), l["Statistics.ToBeforeFrom"]);
            }
            else if (to.DayNumber - from.DayNumber + 1 > options.CurrentValue.MaxRangeDays)
            {
                ModelState.AddModelError(nameof(To), l["Statistics.RangeTooLong", options.CurrentValue.MaxRangeDays]);
            }
            (From, To) = (from, to);
        }
        Group ??= StatisticsGrouping.Day;
        return ModelState.IsValid ? new StatisticsFilter(From!.Value, To!.Value, Language ?? "", Group.Value) : null;
    }

    /// <summary>The query string of this filter, for the CSV links.</summary>
    public string CsvLink(string table) =>
        "/admin/statistics?handler=csv&table=" + Uri.EscapeDataString(table)
        + "&From=" + Filter!.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        + "&To=" + Filter.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        + "&Language=" + Uri.EscapeDataString(Filter.Language)
        + "&Group=" + Filter.Grouping;
}

using System.Globalization;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Derbes.Web.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Statistics;

public enum StatisticsGrouping
{
    Day = 0,
    Week = 1,
    Month = 2,
}

/// <summary>What the page asks for: Almaty dates (both included), a language ("" for all) and the grouping of the time series.</summary>
public sealed record StatisticsFilter(DateOnly From, DateOnly To, string Language, StatisticsGrouping Grouping);

/// <summary>A row of a table: its label and its cells, in the order of the table's columns after the first.</summary>
public sealed record StatRow(string Label, IReadOnlyList<StatCell> Cells, bool IsTotal = false);

/// <summary>
/// One table of the statistics page, exported as one CSV file. <see cref="Chart"/> names the column the chart beside
/// it draws (or two, side by side), and whether it draws per cent.
/// </summary>
public sealed record StatTable(string Id, string Title, IReadOnlyList<string> Columns, IReadOnlyList<StatRow> Rows, StatChart? Chart, string? Note = null);

/// <summary>Which columns a chart draws, whether in per cent, as horizontal bars (categories) or vertical (periods), and from the total rows only.</summary>
public sealed record StatChart(IReadOnlyList<int> Columns, bool Percent, bool Horizontal, bool TotalRows = false);

/// <summary>The page's figures: the summary, the tables, the day of the snapshots and when the figures were computed.</summary>
public sealed record StatisticsReportData(
    IReadOnlyList<(string Label, StatCell Cell)> Summary,
    IReadOnlyList<StatTable> Tables,
    DateOnly? SnapshotDay,
    DateTimeOffset? ComputedAt);

/// <summary>
/// Builds the statistics page's tables from <see cref="StatisticsDay"/> only (and the names of the campaigns opted out
/// of): sums by period, language, kind, purpose, channel or campaign, each cell through <see cref="Suppression"/>.
/// The page, its charts and its CSV files all show exactly these cells.
/// </summary>
public sealed class StatisticsReport(DerbesDb db, IOptionsMonitor<StatisticsOptions> options, IStringLocalizer<SharedResource> l)
{
    public const string Registrations = "registrations";
    public const string SignIns = "signins";
    public const string Consents = "consents";
    public const string OptOuts = "optouts";
    public const string Requests = "requests";
    public const string Languages = "languages";

    public static readonly string[] TableIds = [Registrations, SignIns, Consents, OptOuts, Requests, Languages];

    public async Task<StatisticsReportData> BuildAsync(StatisticsFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var rule = new Suppression(options.CurrentValue.MinimumCell);
        var days = db.Set<StatisticsDay>().AsNoTracking().Where(s => s.Day >= filter.From && s.Day <= filter.To);
        var language = filter.Language;
        bool InLanguage(string rowLanguage) => language.Length == 0 || rowLanguage == language;

        // The time series: by day, summed over languages in SQL (a few thousand rows for three years).
        string[] series = [StatisticsMetrics.Registered, StatisticsMetrics.Confirmed, StatisticsMetrics.Documents, StatisticsMetrics.SignIns];
        var daily = await days.Where(s => series.Contains(s.Metric) && (language == "" || s.Language == language || s.Metric == StatisticsMetrics.SignIns))
            .GroupBy(s => new { s.Day, s.Metric, s.Key })
            .Select(g => new { g.Key.Day, g.Key.Metric, g.Key.Key, Count = g.Sum(s => s.Count) })
            .ToListAsync(cancellationToken);
        // The range's totals by key and language for the tables by campaign and by kind.
        string[] ranged = [StatisticsMetrics.OptOuts, StatisticsMetrics.RequestsReceived, StatisticsMetrics.RequestsCompleted];
        var totals = await days.Where(s => ranged.Contains(s.Metric))
            .GroupBy(s => new { s.Metric, s.Key, s.Language })
            .Select(g => new { g.Key.Metric, g.Key.Key, g.Key.Language, Count = g.Sum(s => s.Count) })
            .ToListAsync(cancellationToken);
        // The snapshots (active customers, consents, overdue requests) of the last day of the range that has them.
        string[] snapshotMetrics = [StatisticsMetrics.Active, StatisticsMetrics.Consents, StatisticsMetrics.RequestsOverdue];
        var snapshotDay = await db.Set<StatisticsDay>().AsNoTracking()
            .Where(s => s.Day <= filter.To && snapshotMetrics.Contains(s.Metric))
            .MaxAsync(s => (DateOnly?)s.Day, cancellationToken);
        var snapshot = snapshotDay is { } sd
            ? await db.Set<StatisticsDay>().AsNoTracking().Where(s => s.Day == sd && snapshotMetrics.Contains(s.Metric))
                .Select(s => new { s.Metric, s.Key, s.Language, s.Count }).ToListAsync(cancellationToken)
            : [];
        var computed = await db.Set<StatisticsDay>().AsNoTracking().Where(s => s.Metric == StatisticsMetrics.Computed)
            .OrderByDescending(s => s.Day).Select(s => (long?)s.Count).FirstOrDefaultAsync(cancellationToken);

        var periods = Periods(filter).ToList();
        var byDay = daily.ToDictionary(d => (d.Metric, d.Key, d.Day), d => d.Count);
        long Daily(string metric, string key, DateOnly from, DateOnly to)
        {
            long sum = 0;
            for (var d = from; d <= to; d = d.AddDays(1))
            {
                sum += byDay.GetValueOrDefault((metric, key, d));
            }
            return sum;
        }

        // Registrations, confirmations and document reviews per period.
        var registrationRows = new List<StatRow>();
        long allRegistered = 0, allConfirmed = 0, allVerified = 0, allRejected = 0;
        var cells = new List<StatCell[]>();
        foreach (var (from, to, label) in periods)
        {
            var registered = Daily(StatisticsMetrics.Registered, "", from, to);
            var confirmed = Daily(StatisticsMetrics.Confirmed, "", from, to);
            var verified = Daily(StatisticsMetrics.Documents, "verified", from, to);
            var rejected = Daily(StatisticsMetrics.Documents, "rejected", from, to);
            (allRegistered, allConfirmed, allVerified, allRejected) = (allRegistered + registered, allConfirmed + confirmed, allVerified + verified, allRejected + rejected);
            StatCell[] row = [rule.Count(registered), rule.Part(confirmed, registered), rule.Rate(confirmed, registered),
                rule.Part(verified, verified + rejected), rule.Part(rejected, verified + rejected), rule.Rate(verified, verified + rejected)];
            cells.Add(row);
            registrationRows.Add(new StatRow(label, row));
        }
        var registeredTotal = rule.Total(cells.Select(c => c[0]), allRegistered);
        var confirmedTotal = rule.Total(cells.Select(c => c[1]), allConfirmed);
        var verifiedTotal = rule.Total(cells.Select(c => c[3]), allVerified);
        var rejectedTotal = rule.Total(cells.Select(c => c[4]), allRejected);
        var confirmationRate = rule.Rate(confirmedTotal, registeredTotal, allConfirmed, allRegistered);
        var verificationRate = rule.Rate(verifiedTotal, rejectedTotal, allVerified, allVerified + allRejected);
        registrationRows.Add(new StatRow(l["Statistics.Total"], [registeredTotal, confirmedTotal, confirmationRate, verifiedTotal, rejectedTotal, verificationRate], IsTotal: true));

        // Sign-ins per period.
        var signInRows = new List<StatRow>();
        var signInCells = new List<StatCell[]>();
        long allOk = 0, allFailed = 0;
        foreach (var (from, to, label) in periods)
        {
            var ok = Daily(StatisticsMetrics.SignIns, "ok", from, to);
            var failed = Daily(StatisticsMetrics.SignIns, "failed", from, to);
            (allOk, allFailed) = (allOk + ok, allFailed + failed);
            StatCell[] row = [rule.Count(ok), rule.Count(failed)];
            signInCells.Add(row);
            signInRows.Add(new StatRow(label, row));
        }
        signInRows.Add(new StatRow(l["Statistics.Total"], [rule.Total(signInCells.Select(c => c[0]), allOk), rule.Total(signInCells.Select(c => c[1]), allFailed)], IsTotal: true));

        // Consents: per purpose (all channels) and per purpose and channel, from each active customer's latest record.
        var consentRows = new List<StatRow>();
        var consentFigures = snapshot.Where(s => s.Metric == StatisticsMetrics.Consents && InLanguage(s.Language))
            .Select(s => (Parts: s.Key.Split('|'), s.Count))
            .Where(s => s.Parts.Length == 3)
            .GroupBy(s => (Purpose: s.Parts[0], Channel: s.Parts[1]))
            .ToDictionary(g => g.Key, g => (Granted: g.Where(x => x.Parts[2] == "granted").Sum(x => x.Count), Withdrawn: g.Where(x => x.Parts[2] == "withdrawn").Sum(x => x.Count)));
        foreach (var purpose in Enum.GetValues<ConsentPurpose>())
        {
            var channels = Enum.GetValues<ConsentChannel>()
                .Where(c => consentFigures.ContainsKey((purpose.ToString(), c.ToString())))
                .Select(c => (Channel: c, Figures: consentFigures[(purpose.ToString(), c.ToString())]))
                .ToList();
            var byChannel = channels.Select(c => (c.Channel, Cells: new[]
            {
                rule.Part(c.Figures.Granted, c.Figures.Granted + c.Figures.Withdrawn),
                rule.Part(c.Figures.Withdrawn, c.Figures.Granted + c.Figures.Withdrawn),
                rule.Rate(c.Figures.Granted, c.Figures.Granted + c.Figures.Withdrawn),
            })).ToList();
            long granted = channels.Sum(c => c.Figures.Granted), withdrawn = channels.Sum(c => c.Figures.Withdrawn);
            var grantedTotal = byChannel.Count == 0 ? rule.Count(0) : rule.Total(byChannel.Select(c => c.Cells[0]), granted);
            var withdrawnTotal = byChannel.Count == 0 ? rule.Count(0) : rule.Total(byChannel.Select(c => c.Cells[1]), withdrawn);
            consentRows.Add(new StatRow(l["ConsentPurpose." + purpose], [new StatCell(l["Statistics.AllChannels"], null, false), grantedTotal, withdrawnTotal,
                rule.Rate(grantedTotal, withdrawnTotal, granted, granted + withdrawn)], IsTotal: true));
            foreach (var (channel, channelCells) in byChannel)
            {
                consentRows.Add(new StatRow(l["ConsentPurpose." + purpose], [new StatCell(l["ConsentChannel." + channel], null, false), .. channelCells]));
            }
        }

        // Opt-outs per campaign, with the campaigns' names.
        var optOutCounts = totals.Where(t => t.Metric == StatisticsMetrics.OptOuts && InLanguage(t.Language))
            .GroupBy(t => t.Key).Select(g => (Key: g.Key, Count: g.Sum(x => x.Count))).ToList();
        var ids = optOutCounts.Select(o => long.TryParse(o.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0).Where(id => id > 0).ToList();
        var names = await db.Campaigns.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Name }).ToDictionaryAsync(c => c.Id.ToString(CultureInfo.InvariantCulture), c => c.Name, cancellationToken);
        var optOutRows = optOutCounts.OrderByDescending(o => o.Count).ThenBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => new StatRow(names.TryGetValue(o.Key, out var name) ? name : "#" + o.Key, [rule.Count(o.Count)])).ToList();
        optOutRows.Add(new StatRow(l["Statistics.Total"], [rule.Total(optOutRows.Select(r => r.Cells[0]), optOutCounts.Sum(o => o.Count))], IsTotal: true));

        // Requests and complaints by kind: received in the range, answered in the range in time or late, overdue now.
        var requestRows = new List<StatRow>();
        foreach (var kind in Enum.GetValues<RequestKind>())
        {
            long Sum(string metric, string key) => totals.Where(t => t.Metric == metric && t.Key == key && InLanguage(t.Language)).Sum(t => t.Count);
            var received = Sum(StatisticsMetrics.RequestsReceived, kind.ToString());
            var onTime = Sum(StatisticsMetrics.RequestsCompleted, kind + "|on-time");
            var late = Sum(StatisticsMetrics.RequestsCompleted, kind + "|late");
            var overdue = snapshot.Where(s => s.Metric == StatisticsMetrics.RequestsOverdue && s.Key == kind.ToString() && InLanguage(s.Language)).Sum(s => s.Count);
            requestRows.Add(new StatRow(l["RequestKind." + kind], [rule.Count(received), rule.Part(onTime, onTime + late), rule.Part(late, onTime + late), rule.Rate(onTime, onTime + late), rule.Count(overdue)]));
        }

        // The language split: active customers by preferred language (not filtered: it is the split).
        var languageCells = Derbes.Web.Localization.Languages.All.Select(lang => (Language: lang,
            Count: snapshot.Where(s => s.Metric == StatisticsMetrics.Active && s.Language == lang).Sum(s => s.Count))).ToList();
        var languageRows = languageCells.Select(c => new StatRow(l["PolicyAdmin.Language." + c.Language], [rule.Count(c.Count)])).ToList();
        var activeTotal = rule.Total(languageRows.Select(r => r.Cells[0]), languageCells.Sum(c => c.Count));
        languageRows.Add(new StatRow(l["Statistics.Total"], [activeTotal], IsTotal: true));
        var active = language.Length == 0 ? activeTotal : languageRows[Array.IndexOf(Derbes.Web.Localization.Languages.All, language)].Cells[0];

        var snapshotNote = snapshotDay is { } day ? l["Statistics.SnapshotOn", day.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture)].Value : l["Statistics.NoSnapshot"].Value;
        var tables = new List<StatTable>
        {
            new(Registrations, l["Statistics.Registrations"], [l["Statistics.Period"], l["Statistics.Registered"], l["Statistics.Confirmed"], l["Statistics.ConfirmationRate"],
                l["Statistics.Verified"], l["Statistics.Rejected"], l["Statistics.VerificationRate"]], registrationRows, new StatChart([0], false, false)),
            new(SignIns, l["Statistics.SignIns"], [l["Statistics.Period"], l["Statistics.SignInsOk"], l["Statistics.SignInsFailed"]], signInRows,
                new StatChart([0, 1], false, false), l["Statistics.SignInsNote"]),
            new(Consents, l["Statistics.Consents"], [l["Statistics.Purpose"], l["Statistics.Channel"], l["Statistics.Agree"], l["Statistics.DoNotAgree"], l["Statistics.AgreementRate"]],
                consentRows, new StatChart([3], true, true, TotalRows: true), snapshotNote + " " + l["Statistics.ConsentsNote"]),
            new(OptOuts, l["Statistics.OptOuts"], [l["Statistics.Campaign"], l["Statistics.OptOutCount"]], optOutRows, new StatChart([0], false, true)),
            new(Requests, l["Statistics.Requests"], [l["Statistics.Kind"], l["Statistics.Received"], l["Statistics.OnTime"], l["Statistics.Late"], l["Statistics.OnTimeShare"], l["Statistics.OverdueNow"]],
                requestRows, new StatChart([3], true, true), l["Statistics.RequestsNote"]),
            new(Languages, l["Statistics.Languages"], [l["Statistics.Language"], l["Statistics.ActiveCustomers"]], languageRows, new StatChart([0], false, true), snapshotNote),
        };
        (string, StatCell)[] summary = [
            (l["Statistics.ActiveCustomers"], active),
            (l["Statistics.Registered"], registeredTotal),
            (l["Statistics.ConfirmationRate"], confirmationRate),
            (l["Statistics.VerificationRate"], verificationRate),
        ];
        return new StatisticsReportData(summary, tables, snapshotDay, computed is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null);
    }

    /// <summary>The periods of the range: days, weeks from Monday, or calendar months, the first and last cut to the range.</summary>
    public static IEnumerable<(DateOnly From, DateOnly To, string Label)> Periods(StatisticsFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var start = filter.From;
        while (start <= filter.To)
        {
            var end = filter.Grouping switch
            {
                StatisticsGrouping.Week => start.AddDays((7 - ((int)start.DayOfWeek + 6) % 7) - 1),
                StatisticsGrouping.Month => new DateOnly(start.Year, start.Month, 1).AddMonths(1).AddDays(-1),
                _ => start,
            };
            if (end > filter.To)
            {
                end = filter.To;
            }
            var label = filter.Grouping switch
            {
                StatisticsGrouping.Week => start.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture) + "–" + end.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture),
                StatisticsGrouping.Month => start.ToString("MM.yyyy", CultureInfo.InvariantCulture),
                _ => start.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture),
            };
            yield return (start, end, label);
            start = end.AddDays(1);
        }
    }
}

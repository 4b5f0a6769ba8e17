using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Campaigns;

/// <summary>What became of a step Marketing took on a campaign.</summary>
public enum CampaignResult
{
    Done,
    NotFound,
    /// <summary>Someone else changed the campaign since it was loaded: nothing was changed; reload.</summary>
    Conflict,
    /// <summary>The step does not apply in the campaign's state (editing a started campaign, pausing a draft, ...).</summary>
    WrongState,
    /// <summary>The scheduled time is not in the future.</summary>
    NotInFuture,
    /// <summary>The campaign's texts or settings are not complete: see <see cref="CampaignDesk.Check"/>.</summary>
    Incomplete,
    /// <summary>A test send needs the member of staff's own phone (SMS) and none is on their account.</summary>
    NoOwnAddress,
    /// <summary>A step that cannot be undone (cancel) was not confirmed.</summary>
    NotConfirmed,
}

/// <summary>One language's text as typed.</summary>
public sealed record CampaignTextInput(string Language, string? Subject, string? Body);

/// <summary>What Marketing types into a campaign.</summary>
public sealed record CampaignInput(
    string? Name,
    CampaignKind Kind,
    MessageChannel Channel,
    string? Language,
    DateOnly? RegisteredFrom,
    DateOnly? RegisteredTo,
    IReadOnlyList<CampaignTextInput> Texts);

/// <summary>A field of a campaign and what is wrong with it (a resource key), for the page to show beside it.</summary>
public sealed record CampaignProblem(string Field, string Error);

/// <summary>Where a campaign's messages stand. Skipped: not sent at the moment of sending (consent withdrawn, account no longer active, cancelled).</summary>
public sealed record CampaignFigures(int Audience, int Queued, int Sent, int Skipped, int Failed, int Waiting, int Unsubscribed, int Responses = 0);

/// <summary>A row of the list, with its figures.</summary>
public sealed record CampaignRow(Campaign Campaign, CampaignFigures Figures);

/// <summary>
/// The Marketing side of campaigns: write (kk and ru required, en optional), see the audience's size, preview, send a
/// test to oneself, schedule or send now, pause, resume, cancel, follow the figures. Every step is audited with the
/// member of staff, and guarded by the campaign's <see cref="Campaign.Version"/>: a step on what someone else has
/// meanwhile changed fails with <see cref="CampaignResult.Conflict"/>. No customer's name, address or number is ever
/// shown here: the audience is a count.
/// </summary>
public sealed class CampaignDesk(
    DerbesDb db,
    CampaignMessages messages,
    Surveys.Surveys surveys,
    AccountDirectory directory,
    Outbox outbox,
    AuditTrail audit,
    IHttpContextAccessor http,
    TimeProvider clock)
{
    public const string Roles = StaffRoles.Marketing;

    public async Task<List<CampaignRow>> ListAsync(CancellationToken cancellationToken)
    {
        var campaigns = await db.Campaigns.AsNoTracking().Include(c => c.Texts).OrderByDescending(c => c.Id).Take(200).ToListAsync(cancellationToken);
        var rows = new List<CampaignRow>(campaigns.Count);
        foreach (var campaign in campaigns)
        {
            rows.Add(new CampaignRow(campaign, await FiguresAsync(campaign, cancellationToken)));
        }
        return rows;
    }

    public Task<Campaign?> OpenAsync(long id, CancellationToken cancellationToken) =>
        db.Campaigns.AsNoTracking().Include(c => c.Texts).SingleOrDefaultAsync(c => c.Id == id, cancellationToken);

    /// <summary>How many customers the campaign would reach now (before it starts), or was queued to (after).</summary>
    public async Task<CampaignFigures> FiguresAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var run = await db.CampaignRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CampaignId == campaign.Id, cancellationToken);
        if (run is null)
        {
            var audience = campaign.Status == CampaignStatus.Cancelled ? 0 : await CampaignAudience.Of(db, campaign).CountAsync(cancellationToken);
            return new CampaignFigures(audience, 0, 0, 0, 0, 0, 0);
        }
        var reference = campaign.Reference;
        var gone = OutboxMessage.GivenUp;
        var groups = await db.Outbox.AsNoTracking()
            .Where(m => m.Reference == reference)
            .GroupBy(m => new { Sent = m.SentAt != null, Skipped = m.LastError != null, GivenUp = m.AvailableAt == gone })
            .Select(g => new { g.Key.Sent, g.Key.Skipped, g.Key.GivenUp, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var unsubscribed = await db.ConsentRecords.AsNoTracking().CountAsync(c => c.Reference == reference && !c.Granted, cancellationToken);
        var responses = campaign.Kind == CampaignKind.Survey ? await surveys.ResponseCountAsync(campaign.Id, cancellationToken) : 0;
        return new CampaignFigures(
            run.Queued,
            groups.Sum(g => g.Count),
            groups.Where(g => g.Sent && !g.Skipped).Sum(g => g.Count),
            groups.Where(g => g.Sent && g.Skipped).Sum(g => g.Count),
            groups.Where(g => !g.Sent && g.GivenUp).Sum(g => g.Count),
            groups.Where(g => !g.Sent && !g.GivenUp).Sum(g => g.Count),
            unsubscribed,
            responses);
    }

    /// <summary>What must be fixed before the campaign can be saved: each field with its error's resource key.</summary>
    public static List<CampaignProblem> Check(CampaignInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var problems = new List<CampaignProblem>();
        var name = (input.Name ?? "").Trim();
        if (name.Length == 0)
        {
            problems.Add(new("Name", "Campaign.Error.NameMissing"));
        }
        else if (name.Length > Campaign.MaxName || name.Any(char.IsControl))
        {
            problems.Add(new("Name", "Campaign.Error.NameTooLong"));
        }
        if (!Enum.IsDefined(input.Kind))
        {
            problems.Add(new("Kind", "Campaign.Error.Kind"));
        }
        if (!Enum.IsDefined(input.Channel))
        {
            problems.Add(new("Channel", "Campaign.Error.Channel"));
        }
        if (input.Language is { } language && !Languages.IsSupported(language))
        {
            problems.Add(new("Language", "Campaign.Error.Language"));
        }
        if (input.RegisteredFrom is { } from && input.RegisteredTo is { } to && from > to)
        {
            problems.Add(new("RegisteredTo", "Campaign.Error.Dates"));
        }
        var email = input.Channel == MessageChannel.Email;
        var maxBody = email ? Campaign.MaxEmailBody : Campaign.MaxSmsBody;
        foreach (var code in Languages.All)
        {
            var text = input.Texts.FirstOrDefault(t => t.Language == code);
            var subject = Clean(text?.Subject);
            var body = Clean(text?.Body);
            var required = Campaign.RequiredLanguages.Contains(code);
            if (!required && subject.Length == 0 && body.Length == 0)
            {
                continue;
            }
            if (email && subject.Length == 0)
            {
                problems.Add(new("Subject." + code, "Campaign.Error.SubjectMissing"));
            }
            else if (email && (subject.Length > Campaign.MaxSubject || subject.Any(char.IsControl)))
            {
                problems.Add(new("Subject." + code, "Campaign.Error.SubjectTooLong"));
            }
            if (body.Length == 0)
            {
                problems.Add(new("Body." + code, "Campaign.Error.BodyMissing"));
            }
            else if (body.Length > maxBody)
            {
                problems.Add(new("Body." + code, "Campaign.Error.BodyTooLong"));
            }
            else if (body.Any(c => char.IsControl(c) && c is not '\n' and not '\t'))
            {
                problems.Add(new("Body." + code, "Campaign.Error.BodyNotAllowed"));
            }
        }
        return problems;
    }

    /// <summary>A new draft; null with <paramref name="problems"/> filled when the input is not complete.</summary>
    public async Task<Campaign?> CreateAsync(CampaignInput input, List<CampaignProblem> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        problems.AddRange(Check(input));
        if (problems.Count > 0)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var campaign = new Campaign { Status = CampaignStatus.Draft, CreatedBy = StaffId(), CreatedAt = now };
        Apply(campaign, input, now);
        db.Campaigns.Add(campaign);
        await db.SaveChangesAsync(cancellationToken);
        audit.Record("campaign.created", campaign.Reference, $"{campaign.Kind}:{campaign.Channel}");
        await db.SaveChangesAsync(cancellationToken);
        return campaign;
    }

    public async Task<CampaignResult> UpdateAsync(long id, int version, CampaignInput input, List<CampaignProblem> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var campaign = await LoadAsync(id, version, cancellationToken);
        if (campaign is null)
        {
            return await MissingOrConflictAsync(id, cancellationToken);
        }
        if (!campaign.IsEditable)
        {
            return CampaignResult.WrongState;
        }
        problems.AddRange(Check(input));
        if (problems.Count > 0)
        {
            return CampaignResult.Incomplete;
        }
        Apply(campaign, input, clock.GetUtcNow());
        audit.Record("campaign.updated", campaign.Reference, $"{campaign.Kind}:{campaign.Channel}");
        return await SaveAsync(cancellationToken);
    }

    /// <summary>
    /// Schedules the campaign to start at <paramref name="at"/> (null: now). It starts within seconds of then, its
    /// messages leaving only inside the sending window.
    /// </summary>
    public async Task<CampaignResult> ScheduleAsync(long id, int version, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        var campaign = await LoadAsync(id, version, cancellationToken);
        if (campaign is null)
        {
            return await MissingOrConflictAsync(id, cancellationToken);
        }
        if (!campaign.IsEditable)
        {
            return CampaignResult.WrongState;
        }
        var now = clock.GetUtcNow();
        if (at is { } when && when <= now)
        {
            return CampaignResult.NotInFuture;
        }
        if (Check(InputOf(campaign)).Count > 0)
        {
            return CampaignResult.Incomplete;
        }
        if (campaign.Kind == CampaignKind.Survey && !await Surveys.Surveys.HasQuestionsAsync(db, campaign.Id, cancellationToken))
        {
            // A survey without questions: its link would lead to an empty page.
            return CampaignResult.Incomplete;
        }
        campaign.Status = CampaignStatus.Scheduled;
        campaign.ScheduledFor = at ?? now;
        Touch(campaign, now);
        audit.Record(at is null ? "campaign.send-now" : "campaign.scheduled", campaign.Reference,
            campaign.ScheduledFor.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + "Z");
        return await SaveAsync(cancellationToken);
    }

    /// <summary>A scheduled campaign back to a draft, before it starts.</summary>
    public Task<CampaignResult> UnscheduleAsync(long id, int version, CancellationToken cancellationToken) =>
        MoveAsync(id, version, CampaignStatus.Scheduled, CampaignStatus.Draft, "campaign.unscheduled", cancellationToken);

    /// <summary>Stops releasing messages; those released but not yet sent go back to held when they meet the pause.</summary>
    public async Task<CampaignResult> PauseAsync(long id, int version, CancellationToken cancellationToken)
    {
        var result = await MoveAsync(id, version, CampaignStatus.Sending, CampaignStatus.Paused, "campaign.paused", cancellationToken);
        if (result == CampaignResult.Done)
        {
            var reference = Campaign.ReferenceOf(id);
            var held = OutboxMessage.Held;
            var gone = OutboxMessage.GivenUp;
            await db.Outbox
                .Where(m => m.Reference == reference && m.SentAt == null && m.LeaseOwner == null && m.AvailableAt != held && m.AvailableAt != gone)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.AvailableAt, held), cancellationToken);
        }
        return result;
    }

    public Task<CampaignResult> ResumeAsync(long id, int version, CancellationToken cancellationToken) =>
        MoveAsync(id, version, CampaignStatus.Paused, CampaignStatus.Sending, "campaign.resumed", cancellationToken);

    /// <summary>Stops the campaign for good: nothing not yet sent will be, and that is recorded against each message.</summary>
    public async Task<CampaignResult> CancelAsync(long id, int version, CancellationToken cancellationToken)
    {
        var campaign = await LoadAsync(id, version, cancellationToken);
        if (campaign is null)
        {
            return await MissingOrConflictAsync(id, cancellationToken);
        }
        if (campaign.Status is CampaignStatus.Completed or CampaignStatus.Cancelled)
        {
            return CampaignResult.WrongState;
        }
        var now = clock.GetUtcNow();
        campaign.Status = CampaignStatus.Cancelled;
        campaign.CancelledAt = now;
        Touch(campaign, now);
        audit.Record("campaign.cancelled", campaign.Reference);
        var result = await SaveAsync(cancellationToken);
        if (result == CampaignResult.Done)
        {
            var reference = campaign.Reference;
            // Leased messages are in a worker's hands: it finds the campaign cancelled and records the same.
            await db.Outbox
                .Where(m => m.Reference == reference && m.SentAt == null && m.LeaseOwner == null)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now).SetProperty(m => m.LastError, "not sent: the campaign was cancelled"), cancellationToken);
        }
        return result;
    }

    /// <summary>
    /// Sends the campaign, in <paramref name="language"/>, to the member of staff themself (their own email, or phone
    /// for SMS), marked as a test; its unsubscribe link leads to the page but unsubscribes no one.
    /// </summary>
    public async Task<CampaignResult> TestSendAsync(long id, string language, CancellationToken cancellationToken)
    {
        var campaign = await OpenAsync(id, cancellationToken);
        if (campaign is null)
        {
            return CampaignResult.NotFound;
        }
        if (Check(InputOf(campaign)).Count > 0)
        {
            return CampaignResult.Incomplete;
        }
        if (campaign.Kind == CampaignKind.Survey && !await Surveys.Surveys.HasQuestionsAsync(db, campaign.Id, cancellationToken))
        {
            // A survey without questions: its link would lead to an empty page.
            return CampaignResult.Incomplete;
        }
        var staffId = StaffId();
        var staff = await db.Users.AsNoTracking().SingleAsync(a => a.Id == staffId, cancellationToken);
        var profile = directory.Open(staff);
        language = Languages.OrDefault(language);
        if (campaign.Channel == MessageChannel.Sms)
        {
            if (profile.Phone is null)
            {
                return CampaignResult.NoOwnAddress;
            }
            outbox.Add(staffId, MessageChannel.Sms, "campaign-test", messages.Sms(campaign, language, profile.Phone, staffId));
        }
        else
        {
            outbox.Add(staffId, MessageChannel.Email, "campaign-test", messages.Email(campaign, staffId, language, profile.FirstName, profile.Email, clock.GetUtcNow(), test: true));
        }
        audit.Record("campaign.test-sent", campaign.Reference, language);
        await db.SaveChangesAsync(cancellationToken);
        return CampaignResult.Done;
    }

    public static CampaignInput InputOf(Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        return new CampaignInput(campaign.Name, campaign.Kind, campaign.Channel, campaign.Language, campaign.RegisteredFrom, campaign.RegisteredTo,
            [.. campaign.Texts.Select(t => new CampaignTextInput(t.Language, t.Subject, t.Body))]);
    }

    private async Task<CampaignResult> MoveAsync(long id, int version, CampaignStatus from, CampaignStatus to, string action, CancellationToken cancellationToken)
    {
        var campaign = await LoadAsync(id, version, cancellationToken);
        if (campaign is null)
        {
            return await MissingOrConflictAsync(id, cancellationToken);
        }
        if (campaign.Status != from)
        {
            return CampaignResult.WrongState;
        }
        var now = clock.GetUtcNow();
        campaign.Status = to;
        campaign.PausedAt = to == CampaignStatus.Paused ? now : null;
        if (to == CampaignStatus.Draft)
        {
            campaign.ScheduledFor = null;
        }
        Touch(campaign, now);
        audit.Record(action, campaign.Reference);
        return await SaveAsync(cancellationToken);
    }

    private void Apply(Campaign campaign, CampaignInput input, DateTimeOffset now)
    {
        campaign.Name = Clean(input.Name);
        campaign.Kind = input.Kind;
        campaign.Channel = input.Channel;
        campaign.Language = input.Language;
        campaign.RegisteredFrom = input.RegisteredFrom;
        campaign.RegisteredTo = input.RegisteredTo;
        foreach (var code in Languages.All)
        {
            var typed = input.Texts.FirstOrDefault(t => t.Language == code);
            var subject = input.Channel == MessageChannel.Email ? Clean(typed?.Subject) : "";
            var body = Clean(typed?.Body);
            var text = campaign.Texts.FirstOrDefault(t => t.Language == code);
            if (body.Length == 0 && subject.Length == 0)
            {
                if (text is not null)
                {
                    campaign.Texts.Remove(text);
                }
                continue;
            }
            if (text is null)
            {
                text = new CampaignText { Language = code };
                campaign.Texts.Add(text);
            }
            text.Subject = subject;
            text.Body = body;
        }
        Touch(campaign, now);
    }

    private void Touch(Campaign campaign, DateTimeOffset now)
    {
        campaign.UpdatedAt = now;
        campaign.UpdatedBy = StaffId();
        campaign.Version++;
    }

    private async Task<Campaign?> LoadAsync(long id, int version, CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.Include(c => c.Texts).SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        return campaign is not null && campaign.Version == version ? campaign : null;
    }

    private async Task<CampaignResult> MissingOrConflictAsync(long id, CancellationToken cancellationToken) =>
        await db.Campaigns.AnyAsync(c => c.Id == id, cancellationToken) ? CampaignResult.Conflict : CampaignResult.NotFound;

    private async Task<CampaignResult> SaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return CampaignResult.Done;
        }
        catch (DbUpdateConcurrencyException)
        {
            return CampaignResult.Conflict;
        }
    }

    /// <summary>Browsers send a textarea's line breaks as CR LF: kept as LF, trimmed.</summary>
    private static string Clean(string? text) => (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    private Guid StaffId() =>
        Guid.TryParse(http.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : throw new InvalidOperationException("No member of staff is signed in.");
}

using Derbes.Web.Calendar;
using Derbes.Web.Campaigns;
using Derbes.Web.Localization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Admin.Campaigns;

/// <summary>
/// One campaign: its settings, figures and the audience's size (a count, never a customer), a preview in each
/// language, a test to oneself, and the steps its state allows: schedule or send now, back to draft, pause, resume,
/// cancel. Each step carries the version the page showed; a step on a campaign changed meanwhile is refused.
/// </summary>
[Authorize(Roles = CampaignDesk.Roles)]
public sealed class DetailsModel(
    CampaignDesk desk,
    CampaignMessages messages,
    WorkingCalendarProvider calendars,
    IOptionsMonitor<CampaignOptions> options,
    TimeProvider clock,
    IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public long Id { get; set; }

    [BindProperty]
    public int Version { get; set; }

    /// <summary>When to start, Asia/Almaty time, as typed.</summary>
    [BindProperty]
    public DateTime? At { get; set; }

    public Campaign Campaign { get; private set; } = null!;
    public CampaignFigures Figures { get; private set; } = null!;
    public CampaignOptions Options => options.CurrentValue;
    public bool WindowOpen { get; private set; }
    public DateTimeOffset? NextOpen { get; private set; }
    public CampaignResult? Result { get; private set; }

    public string SmsPreview(string language) => messages.Sms(Campaign, language, "").Text;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostTestAsync(string? language, CancellationToken cancellationToken)
    {
        Result = await desk.TestSendAsync(Id, Languages.OrDefault(language), cancellationToken);
        return await AfterAsync(Result.Value, "Campaign.TestSent", cancellationToken);
    }

    public async Task<IActionResult> OnPostScheduleAsync(bool now, CancellationToken cancellationToken)
    {
        DateTimeOffset? at = null;
        if (!now)
        {
            if (At is not { } typed)
            {
                ModelState.AddModelError(nameof(At), l["Campaign.Error.AtMissing"]);
                return await LoadAsync(cancellationToken) ? Page() : NotFound();
            }
            at = new DateTimeOffset(DateTime.SpecifyKind(typed, DateTimeKind.Unspecified), WorkingCalendar.AlmatyOffset).ToUniversalTime();
        }
        Result = await desk.ScheduleAsync(Id, Version, at, cancellationToken);
        if (Result == CampaignResult.NotInFuture)
        {
            ModelState.AddModelError(nameof(At), l["CampaignResult.NotInFuture"]);
        }
        return await AfterAsync(Result.Value, now ? "Campaign.Started" : "Campaign.Scheduled", cancellationToken);
    }

    public async Task<IActionResult> OnPostUnscheduleAsync(CancellationToken cancellationToken) =>
        await AfterAsync((Result = await desk.UnscheduleAsync(Id, Version, cancellationToken)).Value, "Campaign.Unscheduled", cancellationToken);

    public async Task<IActionResult> OnPostPauseAsync(CancellationToken cancellationToken) =>
        await AfterAsync((Result = await desk.PauseAsync(Id, Version, cancellationToken)).Value, "Campaign.Paused", cancellationToken);

    public async Task<IActionResult> OnPostResumeAsync(CancellationToken cancellationToken) =>
        await AfterAsync((Result = await desk.ResumeAsync(Id, Version, cancellationToken)).Value, "Campaign.Resumed", cancellationToken);

    public async Task<IActionResult> OnPostCancelAsync(bool confirm, CancellationToken cancellationToken)
    {
        if (!confirm)
        {
            Result = CampaignResult.NotConfirmed;
            return await LoadAsync(cancellationToken) ? Page() : NotFound();
        }
        Result = await desk.CancelAsync(Id, Version, cancellationToken);
        return await AfterAsync(Result.Value, "Campaign.Cancelled", cancellationToken);
    }

    private async Task<IActionResult> AfterAsync(CampaignResult result, string notice, CancellationToken cancellationToken)
    {
        if (result == CampaignResult.NotFound)
        {
            return NotFound();
        }
        if (result == CampaignResult.Done)
        {
            TempData["Notice"] = notice;
            return RedirectToPage("/Admin/Campaigns/Details", new { id = Id });
        }
        return await LoadAsync(cancellationToken) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        if (await desk.OpenAsync(Id, cancellationToken) is not { } campaign)
        {
            return false;
        }
        Campaign = campaign;
        Figures = await desk.FiguresAsync(campaign, cancellationToken);
        var window = new SendWindow(await calendars.CurrentAsync(cancellationToken), options.CurrentValue);
        var now = clock.GetUtcNow();
        WindowOpen = window.IsOpen(now);
        NextOpen = window.NextOpen(now);
        return true;
    }
}

using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Breaches;
using Derbes.Web.Calendar;
using Derbes.Web.Localization;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Breaches;

/// <summary>
/// One incident: its facts and deadline, the measures (edited as more is done), the notice to the authorized body
/// (print it, then record when and how it was sent), the texts for customers and the button that emails them, the
/// requests linked to it, and the customers it reached (by number). Each look and change is audited.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class DetailModel(BreachRegister register, StaffNames staffNames, IStringLocalizer<SharedResource> l) : PageModel
{
    public const int CustomersShown = 500;

    public BreachView View { get; private set; } = null!;
    public Dictionary<string, string> StaffNames { get; private set; } = [];

    /// <summary>The version of the incident the page showed: a change made by someone else since fails.</summary>
    [BindProperty]
    public int Version { get; set; }

    [BindProperty]
    public MeasuresInput Measures { get; set; } = new();

    [BindProperty]
    public SendingInput Sending { get; set; } = new();

    [BindProperty]
    public TextsInput Texts { get; set; } = new();

    [BindProperty]
    public LinkInput Link { get; set; } = new();

    public sealed class MeasuresInput
    {
        public string? Text { get; set; }
    }

    public sealed class SendingInput
    {
        public DateTime? SentAt { get; set; }
        public string? Channel { get; set; }
        public string? Reference { get; set; }
    }

    /// <summary>What the customers are told, per language: Kazakh and Russian required, English optional.</summary>
    public sealed class TextsInput
    {
        public string? KkHappened { get; set; }
        public string? KkDone { get; set; }
        public string? RuHappened { get; set; }
        public string? RuDone { get; set; }
        public string? EnHappened { get; set; }
        public string? EnDone { get; set; }

        public Dictionary<string, CustomerNotice> ByLanguage() => new(StringComparer.Ordinal)
        {
            [Languages.Kazakh] = new(KkHappened, KkDone),
            [Languages.Russian] = new(RuHappened, RuDone),
            [Languages.English] = new(EnHappened, EnDone),
        };
    }

    public sealed class LinkInput
    {
        public string? Number { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }
        Version = View.Row.Breach.Version;
        Fill(null);
        return Page();
    }

    public async Task<IActionResult> OnPostMeasuresAsync(long id, CancellationToken cancellationToken)
    {
        if (Report(BreachRegister.CheckMeasures(Measures.Text), _ => "Measures.Text"))
        {
            return await RedisplayAsync(id, nameof(Measures), cancellationToken);
        }
        return await AfterAsync(id, await register.ChangeMeasuresAsync(id, Version, Measures.Text, Me, cancellationToken), nameof(Measures), "Breaches.MeasuresSaved", cancellationToken);
    }

    public async Task<IActionResult> OnPostSentAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }
        var sentAt = BreachRegister.FromAlmaty(Sending.SentAt);
        if (Report(register.CheckSending(View.Row.Breach.DetectedAt, sentAt, Sending.Channel, Sending.Reference), field => "Sending." + field))
        {
            Fill(nameof(Sending));
            return Page();
        }
        return await AfterAsync(id, await register.RecordSendingAsync(id, Version, sentAt!.Value, Sending.Channel!, Sending.Reference!, Me, cancellationToken), nameof(Sending), "Breaches.SendingRecorded", cancellationToken);
    }

    public async Task<IActionResult> OnPostTextsAsync(long id, CancellationToken cancellationToken)
    {
        var texts = Texts.ByLanguage();
        if (Report(BreachRegister.CheckNoticeTexts(texts), TextField))
        {
            return await RedisplayAsync(id, nameof(Texts), cancellationToken);
        }
        return await AfterAsync(id, await register.SaveNoticeTextsAsync(id, Version, texts, cancellationToken), nameof(Texts), "Breaches.TextsSaved", cancellationToken);
    }

    public async Task<IActionResult> OnPostNotifyAsync(long id, CancellationToken cancellationToken)
    {
        if (await register.NotifyCustomersAsync(id, cancellationToken) is not { } result)
        {
            return NotFound();
        }
        if (result.TextsMissing)
        {
            ModelState.AddModelError("Notify", l["Breaches.TextsMissing"]);
            return await RedisplayAsync(id, null, cancellationToken);
        }
        TempData["Notified"] = string.Create(CultureInfo.InvariantCulture, $"{result.Sent}|{result.AlreadyNotified}|{result.NotReachable}");
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostLinkAsync(long id, CancellationToken cancellationToken)
    {
        switch (await register.LinkRequestAsync(id, Link.Number, Me, cancellationToken))
        {
            case RequestLink.NotFound:
                return NotFound();
            case RequestLink.Linked:
                TempData["Notice"] = "Breaches.RequestLinked";
                return RedirectToPage(new { id });
            case RequestLink.AlreadyLinked:
                ModelState.AddModelError("Link.Number", l["Breaches.RequestAlreadyLinked"]);
                break;
            default:
                ModelState.AddModelError("Link.Number", l["Breaches.RequestUnknown"]);
                break;
        }
        return await RedisplayAsync(id, null, cancellationToken);
    }

    public async Task<IActionResult> OnPostUnlinkAsync(long id, long requestId, CancellationToken cancellationToken)
    {
        if (await register.UnlinkRequestAsync(id, requestId, cancellationToken))
        {
            TempData["Notice"] = "Breaches.RequestUnlinked";
        }
        return RedirectToPage(new { id });
    }

    private Guid Me => Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var staffId) ? staffId : Guid.Empty;

    private static string TextField(string field)
    {
        var (language, part) = (field[..2], field[3..]);
        return "Texts." + char.ToUpperInvariant(language[0]) + language[1..] + (part == "WhatHappened" ? "Happened" : "Done");
    }

    /// <summary>Adds each problem to the field it concerns; true when there was any.</summary>
    private bool Report(IReadOnlyList<BreachProblem> problems, Func<string, string> key)
    {
        foreach (var problem in problems)
        {
            var name = key(problem.Field);
            if (ModelState[name]?.Errors.Count is null or 0)
            {
                ModelState.AddModelError(name, l[problem.MessageKey, problem.Arguments]);
            }
        }
        return !ModelState.IsValid;
    }

    private async Task<IActionResult> AfterAsync(long id, BreachChange change, string posted, string notice, CancellationToken cancellationToken)
    {
        switch (change)
        {
            case BreachChange.NotFound:
                return NotFound();
            case BreachChange.Conflict:
                return await RedisplayAsync(id, posted, conflict: true, cancellationToken);
            default:
                TempData["Notice"] = notice;
                return RedirectToPage(new { id });
        }
    }

    /// <summary>Fills the forms from the stored incident, except the one that was posted (it keeps what was typed).</summary>
    private void Fill(string? posted)
    {
        var b = View.Row.Breach;
        if (posted != nameof(Measures))
        {
            Measures.Text = b.Measures;
        }
        if (posted != nameof(Sending) && b.NotifiedAt is { } sent)
        {
            Sending.SentAt = sent.ToAlmaty().DateTime;
            Sending.Channel = b.NotificationChannel;
            Sending.Reference = b.NotificationReference;
        }
        if (posted != nameof(Texts))
        {
            Texts = new TextsInput
            {
                KkHappened = b.Text(Languages.Kazakh)?.WhatHappened,
                KkDone = b.Text(Languages.Kazakh)?.WhatWasDone,
                RuHappened = b.Text(Languages.Russian)?.WhatHappened,
                RuDone = b.Text(Languages.Russian)?.WhatWasDone,
                EnHappened = b.Text(Languages.English)?.WhatHappened,
                EnDone = b.Text(Languages.English)?.WhatWasDone,
            };
        }
    }

    /// <summary>The page again with what was typed and the errors.</summary>
    private Task<IActionResult> RedisplayAsync(long id, string? posted, CancellationToken cancellationToken) =>
        RedisplayAsync(id, posted, conflict: false, cancellationToken);

    private async Task<IActionResult> RedisplayAsync(long id, string? posted, bool conflict, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }
        Fill(posted);
        if (conflict)
        {
            // The officer has now seen the other change; saving again is a deliberate choice.
            ModelState.Remove(nameof(Version));
            Version = View.Row.Breach.Version;
            ModelState.AddModelError(nameof(Version), l["Breaches.Conflict"]);
        }
        return Page();
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await register.FindAsync(id, cancellationToken) is not { } view)
        {
            return false;
        }
        View = view;
        var b = view.Row.Breach;
        StaffNames = await staffNames.ForAsync([b.RecordedBy, b.MeasuresChangedBy ?? Guid.Empty, b.NotificationRecordedBy ?? Guid.Empty], cancellationToken);
        return true;
    }
}

using Derbes.Web.Breaches;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Admin.Breaches;

/// <summary>
/// The notice of a personal-data security breach for the authorized body, ready to print or save as PDF, in Russian
/// or Kazakh (<c>?lang=ru</c>, <c>?lang=kk</c>): the operator and its BIN, the responsible person's contact, when it
/// was detected, what happened, the kinds of data, the measures, and the affected customers' names and phones. The
/// customers are opened from their sealed profiles, each opening audited as an access to their data.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class NotificationModel(BreachRegister register, IOptionsMonitor<SiteOptions> site) : PageModel
{
    public BreachNotification Notification { get; private set; } = null!;
    public SiteOptions Site { get; private set; } = null!;
    public string Language { get; private set; } = Languages.Russian;
    public DateOnly Today { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        // The authorized body reads Kazakh or Russian; the page's language comes from ?lang= (see the localisation setup).
        var language = Languages.Current;
        if (language is not (Languages.Kazakh or Languages.Russian) || Request.Query["lang"].Count == 0)
        {
            return RedirectToPage(new { id, lang = language == Languages.Kazakh ? Languages.Kazakh : Languages.Russian });
        }
        if (await register.NotificationAsync(id, language, cancellationToken) is not { } notification)
        {
            return NotFound();
        }
        Notification = notification;
        Site = site.CurrentValue;
        Language = language;
        Today = register.Today;
        return Page();
    }
}

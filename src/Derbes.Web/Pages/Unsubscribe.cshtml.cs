using Derbes.Web.Campaigns;
using Derbes.Web.Consents;
using Derbes.Web.Messaging;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages;

/// <summary>
/// The unsubscribe link of every campaign (in the email's footer and its List-Unsubscribe header). Opening it (GET)
/// only shows one button: mail scanners that fetch links must unsubscribe no one. A POST whose body is
/// <c>List-Unsubscribe=One-Click</c> (RFC 8058; form-urlencoded or multipart, no cookie needed) withdraws the
/// channel's consent at once and answers 200, never a redirect. A forged, altered or truncated token changes nothing.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class UnsubscribeModel(UnsubscribeToken tokens, Unsubscriptions unsubscriptions, IOptionsMonitor<SiteOptions> site) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public UnsubscribeClaim? Claim { get; private set; }
    public UnsubscribeOutcome? Outcome { get; private set; }
    public string SiteName => site.CurrentValue.Name;
    public string CareEmail => site.CurrentValue.CareEmail;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        Claim = tokens.Read(Token);
        if (Claim is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        // Only shows where the link's person stands: a GET (a mail scanner, a preview) never changes anything.
        Outcome = await unsubscriptions.StandingAsync(Claim.AccountId, Claim.Channel, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        Claim = tokens.Read(Token);
        if (Claim is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        if (!Request.HasFormContentType || Request.Form["List-Unsubscribe"] != "One-Click")
        {
            return BadRequest();
        }
        var channel = Claim.Channel == MessageChannel.Sms ? ConsentChannel.SmsReply : ConsentChannel.EmailLink;
        (Outcome, _) = await unsubscriptions.ApplyAsync(Claim.AccountId, Claim.Channel, channel, Campaign.ReferenceOf(Claim.CampaignId), cancellationToken);
        return Page();
    }

    private void NoTraces()
    {
        // The token is a capability: no referrer carries it away (no cache keeps it: SecurityHeaders.UsePrivateByDefault).
        Response.Headers["Referrer-Policy"] = "no-referrer";
        Response.Headers["X-Robots-Tag"] = "noindex";
    }
}

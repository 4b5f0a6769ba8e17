using Derbes.Web.Campaigns;
using Derbes.Web.Campaigns.Surveys;
using Derbes.Web.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages;

/// <summary>
/// A survey campaign's link (policy 2.2.4): the questions in the customer's language (<c>?lang=</c> from the link),
/// answered without signing in, once. The token is the proof of who may answer; the answers are stored apart from it
/// (see <see cref="Surveys"/>). A forged, altered or unknown link is a 404; a cancelled campaign's survey takes no
/// answers. An ordinary form, so it carries the antiforgery token like every other.
/// </summary>
public sealed class SurveyModel(Surveys surveys, IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    /// <summary>Set by the redirect after a stored answer: the thank-you state (shown only when this customer has answered).</summary>
    [BindProperty(SupportsGet = true)]
    public bool Thanks { get; set; }

    public SurveyForm? Survey { get; private set; }
    /// <summary>The test send's answers were fine and, being a test, not stored.</summary>
    public bool TestChecked { get; private set; }
    public string Language { get; } = Languages.Current;

    /// <summary>What the customer sent, to fill the form in again beside its errors.</summary>
    public Dictionary<string, List<string>> Posted { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        Survey = await surveys.OpenAsync(Token, cancellationToken);
        return Respond();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoTraces();
        var answers = new List<SurveyAnswerInput>();
        foreach (var (name, values) in Request.Form)
        {
            if (name.Length > 1 && name[0] == 'q' && long.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                answers.Add(new SurveyAnswerInput(id, [.. values]));
                Posted[name] = [.. values.OfType<string>()];
            }
        }
        var problems = new List<CampaignProblem>();
        var outcome = await surveys.SubmitAsync(Token, answers, problems, cancellationToken);
        if (outcome == SurveyOutcome.Done)
        {
            return RedirectToPage(new { Token, lang = Language, thanks = true });
        }
        Thanks = false;
        Survey = await surveys.OpenAsync(Token, cancellationToken);
        foreach (var problem in problems)
        {
            ModelState.AddModelError(problem.Field, l[problem.Error]);
        }
        TestChecked = outcome == SurveyOutcome.Test;
        if (outcome == SurveyOutcome.AlreadyAnswered && Survey is not null)
        {
            // The second of two submissions: refused, and the page says it was answered before.
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }
        return Respond();
    }

    public bool Chosen(string field, string value) => Posted.TryGetValue(field, out var values) && values.Contains(value);

    public string? Typed(string field) => Posted.TryGetValue(field, out var values) ? values.FirstOrDefault() : null;

    private PageResult Respond()
    {
        if (Survey is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
        else if (Survey.State == SurveyState.Closed)
        {
            Response.StatusCode = StatusCodes.Status410Gone;
        }
        return Page();
    }

    private void NoTraces()
    {
        // The token is a capability: no referrer carries it away, no search engine lists it (no cache keeps it: SecurityHeaders.UsePrivateByDefault).
        Response.Headers["Referrer-Policy"] = "no-referrer";
        Response.Headers["X-Robots-Tag"] = "noindex";
    }
}

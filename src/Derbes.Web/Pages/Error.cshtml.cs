using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Derbes.Web.Pages;

/// <summary>The one error page: a generic message and a correlation id, never a stack trace, SQL or a path.</summary>
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ErrorModel : PageModel
{
    public string CorrelationId { get; private set; } = "";
    public string HeadingKey { get; private set; } = "Error.Title";
    public string MessageKey { get; private set; } = "Error.Message";

    public void OnGet(int? code) => Describe(code);

    // No parameters on the POST: binding them would read the form, and a form the antiforgery check already
    // refused (a minimal-API endpoint's 400, re-executed here as a POST) throws when read again.
    public void OnPost() =>
        Describe(int.TryParse(RouteData.Values["code"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null);

    private void Describe(int? code)
    {
        CorrelationId = Activity.Current?.Id ?? HttpContext.TraceIdentifier;
        (HeadingKey, MessageKey) = code switch
        {
            404 => ("Error.NotFound.Title", "Error.NotFound.Message"),
            403 => ("Error.Forbidden.Title", "Error.Forbidden.Message"),
            413 => ("Error.TooLarge.Title", "Error.TooLarge.Message"),
            429 => ("Error.TooMany.Title", "Error.TooMany.Message"),
            400 => ("Error.BadRequest.Title", "Error.BadRequest.Message"),
            _ => ("Error.Title", "Error.Message"),
        };
    }
}

using System.Diagnostics;
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

    public void OnPost(int? code) => Describe(code);

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

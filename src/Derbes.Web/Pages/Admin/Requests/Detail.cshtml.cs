using Derbes.Web.Localization;
using Derbes.Web.Requests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Requests;

/// <summary>
/// One request at the desk: the customer's words and files, the history, and each step staff take on it. Every
/// form carries the version it was read at, so two members of staff acting at once cannot overwrite each other.
/// Opening it is an access to personal data, audited.
/// </summary>
[Authorize(Roles = RequestDesk.Roles)]
public sealed class DetailModel(RequestDesk desk, IStringLocalizer<SharedResource> l) : PageModel
{
    /// <summary>The languages the answer's templates are written in.</summary>
    public static readonly string[] AnswerLanguages = ["kk", "ru"];

    [BindProperty]
    public int Version { get; set; }

    [BindProperty]
    public Guid? Assignee { get; set; }

    [BindProperty]
    public string? Text { get; set; }

    [BindProperty]
    public int Days { get; set; } = 1;

    [BindProperty]
    public RequestKind? NewKind { get; set; }

    /// <summary>The language of the answer's template (kk or ru).</summary>
    [BindProperty(SupportsGet = true)]
    public string? Lang { get; set; }

    public DeskRequest Item { get; private set; } = null!;
    public List<Assignable> Staff { get; private set; } = [];
    public string Template { get; private set; } = "";

    /// <summary>Which step's form failed, to open it with its error.</summary>
    public string? Failed { get; private set; }

    public int MaxTextLength => desk.MaxTextLength;
    public int MaxExtensionDays => desk.MaxExtensionDays;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnGetFileAsync(long id, long fileId, CancellationToken cancellationToken)
    {
        var file = await desk.OpenFileAsync(id, fileId, cancellationToken);
        if (file is null)
        {
            return NotFound();
        }
        Response.Headers["X-Content-Type-Options"] = "nosniff";
        return File(file.Value.Bytes, file.Value.File.ContentType, file.Value.File.Name);
    }

    public Task<IActionResult> OnPostAssignAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "assign", Assignee is { } who ? desk.AssignAsync(id, Version, who, cancellationToken) : Task.FromResult(DeskResult.NotAssignable), "Desk.Assigned", cancellationToken);

    public Task<IActionResult> OnPostNoteAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "note", desk.NoteAsync(id, Version, Text, cancellationToken), "Desk.Noted", cancellationToken);

    public Task<IActionResult> OnPostAskAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "ask", desk.AskCustomerAsync(id, Version, Text, cancellationToken), "Desk.Asked", cancellationToken);

    public Task<IActionResult> OnPostExtendAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "extend", desk.ExtendAsync(id, Version, Days, Text, cancellationToken), "Desk.Extended", cancellationToken);

    public Task<IActionResult> OnPostReclassifyAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "reclassify", NewKind is { } kind ? desk.ReclassifyAsync(id, Version, kind, Text, cancellationToken) : Task.FromResult(DeskResult.KindUnchanged), "Desk.Reclassified", cancellationToken);

    public Task<IActionResult> OnPostAnswerAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "answer", desk.AnswerAsync(id, Version, Text, cancellationToken), "Desk.AnswerSent", cancellationToken);

    public Task<IActionResult> OnPostCloseAsync(long id, CancellationToken cancellationToken) =>
        StepAsync(id, "close", desk.CloseAsync(id, Version, cancellationToken), "Desk.ClosedNotice", cancellationToken);

    private async Task<IActionResult> StepAsync(long id, string step, Task<DeskResult> action, string doneKey, CancellationToken cancellationToken)
    {
        var result = await action;
        if (result == DeskResult.Done)
        {
            TempData["Notice"] = doneKey;
            return RedirectToPage(new { id });
        }
        if (result == DeskResult.NotFound)
        {
            return NotFound();
        }
        var typed = Text;
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }
        Failed = step;
        // What was typed stays in the form (a conflict keeps it too, to be sent again after a look at the change).
        ModelState.Clear();
        Text = typed;
        ModelState.AddModelError(nameof(Text), result switch
        {
            DeskResult.TextTooLong => l["Requests.TextTooLong", desk.MaxTextLength],
            DeskResult.DaysOutOfRange => l["Desk.DaysOutOfRange", desk.MaxExtensionDays],
            _ => l["Desk.Error." + result],
        });
        return Page();
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        var item = await desk.OpenAsync(id, cancellationToken);
        if (item is null)
        {
            return false;
        }
        Item = item;
        Version = item.Request.Version;
        Staff = await desk.AssignableAsync(cancellationToken);
        Lang = Lang is not null && AnswerLanguages.Contains(Lang) ? Lang : item.CustomerLanguage == "kk" ? "kk" : "ru";
        var request = item.Request;
        var firstName = item.CustomerName.Split(' ')[0];
        Template = Languages.In(Lang, () => l["Desk.Template." + request.Kind, firstName, request.Number, request.ReceivedOn.ToString("dd.MM.yyyy", System.Globalization.CultureInfo.InvariantCulture)].Value);
        return true;
    }
}

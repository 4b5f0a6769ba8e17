using System.Security.Claims;
using Derbes.Web.Documents;
using Derbes.Web.Requests;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Customers;

/// <summary>
/// A member of staff enters a customer's paper letter or email as a request or complaint (issue 7): the kind, the
/// day it was received (the term counts from it), how the sender was identified, the text, and the scanned letter.
/// Reached from the customer's record, so the record's grant (why it was opened) covers the entry. The customer gets
/// the same acknowledgement with the number and due date as for a request from the cabinet.
/// </summary>
[Authorize(Roles = RequestDesk.Roles)]
[RequestFormLimits(MultipartBodyLengthLimit = Account.RegisterModel.MaxFileSectionBytes)]
public sealed class NewRequestModel(
    CustomerRecords records,
    CustomerRequests requests,
    Microsoft.Extensions.Options.IOptions<DocumentOptions> documentOptions,
    TimeProvider clock,
    IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Grant { get; set; }

    [BindProperty]
    public RequestKind? Kind { get; set; }

    [BindProperty]
    public RequestChannel? Channel { get; set; }

    [BindProperty]
    public DateOnly? ReceivedOn { get; set; }

    [BindProperty]
    public SenderIdentification? Identification { get; set; }

    [BindProperty]
    public string? Text { get; set; }

    [BindProperty]
    public IFormFile? Letter { get; set; }

    public DateOnly Today => Derbes.Web.Calendar.WorkingCalendar.AlmatyDate(clock.GetUtcNow());

    public int MaxTextLength => requests.MaxTextLength;

    public long MaxFileMegabytes => documentOptions.Value.MaxFileBytes / (1024 * 1024);

    public IActionResult OnGet(Guid id)
    {
        if (records.CheckGrant(id, Grant) is null)
        {
            return RedirectToPage("Record", new { id });
        }
        ReceivedOn ??= Today;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        if (records.CheckGrant(id, Grant) is null)
        {
            return RedirectToPage("Record", new { id });
        }
        if (Kind is not { } kind || !CustomerRequests.StaffKinds.Contains(kind))
        {
            ModelState.AddModelError(nameof(Kind), l["Requests.KindRequired"]);
        }
        if (Channel is not (RequestChannel.Paper or RequestChannel.Email))
        {
            ModelState.AddModelError(nameof(Channel), l["Intake.ChannelRequired"]);
        }
        if (Letter is not null && Letter.Length > documentOptions.Value.MaxFileBytes)
        {
            ModelState.AddModelError(nameof(Letter), l["Documents.Rejected." + DocumentRejection.TooLarge, Letter.FileName, MaxFileMegabytes]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        RequestUpload? upload = null;
        if (Letter is { Length: > 0 })
        {
            using var buffer = new MemoryStream();
            await Letter.CopyToAsync(buffer, cancellationToken);
            upload = new RequestUpload(Letter.FileName, buffer.ToArray());
        }
        var staff = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var intake = new RequestIntake(Channel!.Value, ReceivedOn, staff, Identification);
        var result = await requests.FileAsync(id, Kind!.Value, Text, upload, intake, cancellationToken);
        if (result.Request is { } filed)
        {
            TempData["Notice"] = "Intake.Entered";
            return Redirect("/admin/requests/" + filed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        switch (result.Refusal)
        {
            case FilingRefusal.NotACustomer:
                return NotFound();
            case FilingRefusal.ReceivedOnInvalid:
                ModelState.AddModelError(nameof(ReceivedOn), l["Intake.ReceivedOnInvalid"]);
                break;
            case FilingRefusal.IdentificationMissing:
                ModelState.AddModelError(nameof(Identification), l["Intake.IdentificationRequired"]);
                break;
            case FilingRefusal.LetterScanMissing:
                ModelState.AddModelError(nameof(Letter), l["Intake.LetterRequired"]);
                break;
            case FilingRefusal.DocumentRejected:
                ModelState.AddModelError(nameof(Letter), l["Documents.Rejected." + result.Document, Letter?.FileName ?? "", MaxFileMegabytes]);
                break;
            case FilingRefusal.TextTooLong:
                ModelState.AddModelError(nameof(Text), l["Requests.TextTooLong", requests.MaxTextLength]);
                break;
            default:
                ModelState.AddModelError(nameof(Text), l["Validation.Required"]);
                break;
        }
        return Page();
    }
}

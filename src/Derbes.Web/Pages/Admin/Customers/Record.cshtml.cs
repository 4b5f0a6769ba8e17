using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Customers;

/// <summary>
/// A customer's record. Without a grant it asks why it is being opened (the reason and its reference number go
/// into the audit trail); with one it shows everything held, and each showing is audited again.
/// </summary>
[Authorize(Roles = StaffRoles.Support + "," + StaffRoles.PrivacyOfficer)]
public sealed class RecordModel(CustomerRecords records, IStringLocalizer<SharedResource> l) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Grant { get; set; }

    [BindProperty]
    public ViewReason? Reason { get; set; }

    [BindProperty]
    public string? Reference { get; set; }

    [BindProperty]
    public string? FirstName { get; set; }

    [BindProperty]
    public string? LastName { get; set; }

    [BindProperty]
    public Consents.ConsentPurpose? LetterPurpose { get; set; }

    [BindProperty]
    public LetterDecision? Decision { get; set; }

    [BindProperty]
    public string? Letter { get; set; }

    [BindProperty]
    public string? Obligation { get; set; }

    [BindProperty]
    public string? Hold { get; set; }

    public CustomerRecord? Record { get; private set; }
    public (ViewReason Reason, string Reference)? Granted { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        Granted = records.CheckGrant(id, Grant);
        if (Granted is null)
        {
            Grant = null;
            return Page();
        }
        Record = await records.ReadAsync(id, Granted.Value, cancellationToken);
        return Record is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostOpenAsync(Guid id, CancellationToken cancellationToken)
    {
        var reference = CustomerRecords.CleanReference(Reference);
        if (Reason is null || !Enum.IsDefined(Reason.Value))
        {
            ModelState.AddModelError(nameof(Reason), l["Customers.ReasonRequired"]);
        }
        if (reference.Length == 0)
        {
            ModelState.AddModelError(nameof(Reference), l["Customers.ReferenceRequired"]);
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var grant = await records.OpenAsync(id, Reason!.Value, reference, cancellationToken);
        return grant is null ? NotFound() : RedirectToPage(new { id, grant });
    }

    public Task<IActionResult> OnPostBlockAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, g => records.SetBlockedAsync(id, true, g.Reason, g.Reference, cancellationToken), "Customers.BlockedNotice", refused: null);

    public Task<IActionResult> OnPostUnblockAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, g => records.SetBlockedAsync(id, false, g.Reason, g.Reference, cancellationToken), "Customers.UnblockedNotice", refused: null);

    public Task<IActionResult> OnPostResetAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, g => records.SendResetAsync(id, g.Reason, g.Reference, cancellationToken), "Customers.ResetSent", "Customers.NotSent");

    public Task<IActionResult> OnPostConfirmAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, g => records.ResendConfirmationAsync(id, g.Reason, g.Reference, cancellationToken), "Customers.ConfirmationSent", "Customers.NotSent");

    /// <summary>Corrects the customer's name on their request (the grant's reason and number).</summary>
    public async Task<IActionResult> OnPostCorrectAsync(Guid id, CancellationToken cancellationToken)
    {
        Granted = records.CheckGrant(id, Grant);
        if (Granted is null)
        {
            return RedirectToPage(new { id });
        }
        var first = Name(nameof(FirstName), FirstName);
        var last = Name(nameof(LastName), LastName);
        if (!ModelState.IsValid)
        {
            Record = await records.ReadAsync(id, Granted.Value, cancellationToken);
            return Record is null ? NotFound() : Page();
        }
        var result = await records.CorrectNamesAsync(id, Granted.Value, first, last, cancellationToken);
        if (result == Correction.NotFound)
        {
            return NotFound();
        }
        TempData["Notice"] = result switch
        {
            Correction.Done => "Customers.Corrected",
            Correction.Unchanged => "Customers.CorrectionUnchanged",
            _ => "Customers.CorrectionNeedsRequest",
        };
        return RedirectToPage(new { id, grant = Grant });
    }

    /// <summary>The PrivacyOfficer puts or lifts a retention hold (a law requires keeping the customer's data).</summary>
    public async Task<IActionResult> OnPostHoldAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!User.IsInRole(StaffRoles.PrivacyOfficer))
        {
            return Forbid();
        }
        Granted = records.CheckGrant(id, Grant);
        if (Granted is null)
        {
            return RedirectToPage(new { id });
        }
        if (Hold is { Length: > CustomerRecords.MaxHoldLength })
        {
            ModelState.AddModelError(nameof(Hold), l["Validation.TooLong"]);
            Record = await records.ReadAsync(id, Granted.Value, cancellationToken);
            return Record is null ? NotFound() : Page();
        }
        if (!await records.SetRetentionHoldAsync(id, Hold, Granted.Value, cancellationToken))
        {
            return NotFound();
        }
        TempData["Notice"] = string.IsNullOrWhiteSpace(Hold) ? "Customers.HoldLifted" : "Customers.HoldSet";
        return RedirectToPage(new { id, grant = Grant });
    }

    /// <summary>A customer's decision about a consent, received by letter, entered by the PrivacyOfficer.</summary>
    public async Task<IActionResult> OnPostLetterAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!User.IsInRole(StaffRoles.PrivacyOfficer))
        {
            return Forbid();
        }
        Granted = records.CheckGrant(id, Grant);
        if (Granted is null)
        {
            return RedirectToPage(new { id });
        }
        var letter = CustomerRecords.CleanReference(Letter);
        var obligation = CustomerRecords.CleanReference(Obligation);
        if (LetterPurpose is null || !Enum.IsDefined(LetterPurpose.Value))
        {
            ModelState.AddModelError(nameof(LetterPurpose), l["Consents.PurposeRequired"]);
        }
        if (Decision is null || !Enum.IsDefined(Decision.Value))
        {
            ModelState.AddModelError(nameof(Decision), l["Consents.DecisionRequired"]);
        }
        if (letter.Length == 0)
        {
            ModelState.AddModelError(nameof(Letter), l["Consents.LetterRequired"]);
        }
        if (Decision == LetterDecision.RefuseWithdrawal && obligation.Length == 0)
        {
            ModelState.AddModelError(nameof(Obligation), l["Consents.ObligationRequired"]);
        }
        if (!ModelState.IsValid)
        {
            Record = await records.ReadAsync(id, Granted.Value, cancellationToken);
            return Record is null ? NotFound() : Page();
        }
        var result = await records.RecordLetterAsync(id, Granted.Value, LetterPurpose!.Value, Decision!.Value, letter, obligation, cancellationToken);
        if (result == LetterEntry.NotFound)
        {
            return NotFound();
        }
        TempData["Notice"] = "Consents.Letter." + result;
        return RedirectToPage(new { id, grant = Grant });
    }

    /// <summary>A name as registration accepts it: required, at most 100 characters, no control characters.</summary>
    private string Name(string field, string? typed)
    {
        var name = (typed ?? "").Trim();
        if (name.Length == 0)
        {
            ModelState.AddModelError(field, l["Validation.Required"]);
        }
        else if (name.Length > 100)
        {
            ModelState.AddModelError(field, l["Validation.TooLong"]);
        }
        else if (name.Any(char.IsControl))
        {
            ModelState.AddModelError(field, l["Validation.NoControlCharacters"]);
        }
        return name;
    }

    /// <summary>
    /// Acting on a record needs the same grant as reading it; the grant's reason is recorded with the act.
    /// Without one, the reason form comes back. A refused act is a notice, or 404 when <paramref name="refused"/> is null.
    /// </summary>
    private async Task<IActionResult> ActAsync(Guid id, Func<(ViewReason Reason, string Reference), Task<bool>> act, string done, string? refused)
    {
        var granted = records.CheckGrant(id, Grant);
        if (granted is null)
        {
            return RedirectToPage(new { id });
        }
        var ok = await act(granted.Value);
        if (!ok && refused is null)
        {
            return NotFound();
        }
        TempData["Notice"] = ok ? done : refused;
        return RedirectToPage(new { id, grant = Grant });
    }
}

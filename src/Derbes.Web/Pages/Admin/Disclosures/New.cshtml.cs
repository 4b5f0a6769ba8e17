using System.Security.Claims;
using Derbes.Web.Calendar;
using Derbes.Web.Customers;
using Derbes.Web.Disclosures;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Disclosures;

/// <summary>
/// The PrivacyOfficer records a transfer of customers' data: recipient, basis, data, customers (one, a few, or
/// a CSV file of up to 10,000), channel and the approving officer. The register refuses what the policy forbids
/// and says whom the refusal is about.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class NewModel(DisclosureRegister register, StaffDirectory staff, TimeProvider clock, IStringLocalizer<SharedResource> l) : PageModel
{
    /// <summary>How many refused customers the page names; the rest are counted.</summary>
    public const int NamesShown = 100;

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty]
    public IFormFile? CustomerFile { get; set; }

    public List<StaffMember> Officers { get; private set; } = [];
    public DisclosureResult? Refused { get; private set; }

    public sealed class InputModel
    {
        public DateOnly? DisclosedOn { get; set; }
        public RecipientKind? RecipientKind { get; set; }
        public string? RecipientName { get; set; }
        public DisclosureBasis? Basis { get; set; }
        public string? RequestNumber { get; set; }
        public DateOnly? RequestDate { get; set; }
        public string? LegalArticle { get; set; }
        public string? Purpose { get; set; }
        public List<DataCategory> Categories { get; set; } = [];
        public DisclosureChannel? Channel { get; set; }
        public Guid? ApprovedBy { get; set; }
        public bool Confidential { get; set; }
        public string? Customers { get; set; }
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Input.DisclosedOn = DateOnly.FromDateTime(clock.GetUtcNow().ToAlmaty().DateTime);
        await LoadOfficersAsync(cancellationToken);
        Input.ApprovedBy = Officers.Any(o => o.Id == Me) ? Me : null;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await LoadOfficersAsync(cancellationToken);
        List<ListedCustomer>? listed;
        if (CustomerFile is { Length: > 0 } file)
        {
            var text = await CustomerList.ReadAsync(file, cancellationToken);
            listed = text is null ? null : CustomerList.Parse(text);
            if (text is null)
            {
                ModelState.AddModelError(nameof(CustomerFile), l["Disclosures.FileUnreadable"]);
            }
        }
        else
        {
            listed = CustomerList.Parse(Input.Customers);
        }
        if (listed is null && ModelState[nameof(CustomerFile)]?.Errors.Count is null or 0)
        {
            ModelState.AddModelError("Input.Customers", l["Disclosures.TooManyCustomers", CustomerList.MaxCustomers]);
        }
        var draft = new DisclosureDraft(
            Input.DisclosedOn,
            Input.RecipientKind ?? (RecipientKind)(-1),
            Input.RecipientName,
            Input.Basis ?? (DisclosureBasis)(-1),
            Input.RequestNumber,
            Input.RequestDate,
            Input.LegalArticle,
            Input.Purpose,
            Input.Categories.Aggregate(DataCategory.None, (all, c) => all | c),
            Input.Channel ?? (DisclosureChannel)(-1),
            Input.ApprovedBy ?? Guid.Empty,
            Input.Confidential,
            listed ?? []);
        foreach (var problem in register.Check(draft))
        {
            var key = "Input." + problem.Field;
            // A value the binder already refused (a forged option, say) is reported once.
            if (ModelState[key]?.Errors.Count is null or 0 && !(problem.Field == "Customers" && listed is null))
            {
                ModelState.AddModelError(key, l[problem.MessageKey]);
            }
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var result = await register.RecordAsync(draft, Me, cancellationToken);
        if (result.Refusal == DisclosureRefusal.NotAnOfficer)
        {
            ModelState.AddModelError("Input.ApprovedBy", l["Disclosures.ApproverRequired"]);
            return Page();
        }
        if (!result.Recorded)
        {
            Refused = result;
            return Page();
        }
        TempData["Notice"] = "Disclosures.Recorded";
        return RedirectToPage("/Admin/Disclosures/Detail", new { id = result.Disclosure!.Id });
    }

    private Guid Me => Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;

    private async Task LoadOfficersAsync(CancellationToken cancellationToken) =>
        Officers = [.. (await staff.ListAsync(cancellationToken)).Where(s => s.Status == AccountStatus.Active && s.Roles.Contains(StaffRoles.PrivacyOfficer))];
}

using System.Security.Claims;
using Derbes.Web.Breaches;
using Derbes.Web.Calendar;
using Derbes.Web.Disclosures;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Pages.Admin.Breaches;

/// <summary>
/// The PrivacyOfficer records a personal-data security incident: when it was detected (Asia/Almaty), what happened,
/// which kinds of data, the customers it reached (a list or CSV file as for disclosures, or everyone registered in
/// a period) and the measures taken. Lines of a list that name nobody are refused by line number.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class NewModel(BreachRegister register, TimeProvider clock, IStringLocalizer<SharedResource> l) : PageModel
{
    /// <summary>How many refused lines the page names; the rest are counted.</summary>
    public const int LinesShown = 100;

    public const string ByList = "list";
    public const string ByQuery = "query";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty]
    public IFormFile? CustomerFile { get; set; }

    public BreachResult? Refused { get; private set; }

    public sealed class InputModel
    {
        public DateTime? DetectedAt { get; set; }
        public string? Description { get; set; }
        public List<BreachCategory> Categories { get; set; } = [];
        public string? Measures { get; set; }
        public string Selection { get; set; } = ByList;
        public string? Customers { get; set; }
        public DateOnly? RegisteredFrom { get; set; }
        public DateOnly? RegisteredTo { get; set; }
    }

    public void OnGet()
    {
        var now = clock.GetUtcNow().ToAlmaty();
        Input.DetectedAt = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, DateTimeKind.Unspecified);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var byQuery = Input.Selection == ByQuery;
        List<ListedCustomer>? listed = [];
        if (!byQuery)
        {
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
        }
        var draft = new BreachDraft(
            BreachRegister.FromAlmaty(Input.DetectedAt),
            Input.Description,
            Input.Categories.Aggregate(BreachCategory.None, (all, c) => all | c),
            Input.Measures,
            listed ?? [],
            byQuery ? new CustomerQuery(Input.RegisteredFrom, Input.RegisteredTo) : null);
        foreach (var problem in register.Check(draft))
        {
            var key = "Input." + problem.Field;
            // A value the binder already refused (a forged option or date, say) is reported once.
            if (ModelState[key]?.Errors.Count is null or 0 && !(problem.Field == "Customers" && listed is null))
            {
                ModelState.AddModelError(key, l[problem.MessageKey, problem.Arguments]);
            }
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        var result = await register.RecordAsync(draft, Me, cancellationToken);
        if (result.Breach is not { } breach)
        {
            Refused = result;
            return Page();
        }
        TempData["Notice"] = "Breaches.Recorded";
        return RedirectToPage("/Admin/Breaches/Detail", new { id = breach.Id });
    }

    private Guid Me => Guid.TryParse(User.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;
}

using System.Security.Claims;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// The customer's own consent ledger, in words: "On 26 Nov 2026 you agreed to edition 3 on the website", newest
/// first, with what they agree to now; and the switches of the optional purposes (advertising by email, by SMS,
/// transfer to third parties), each effective at once and each a ledger record of the words shown beside it.
/// </summary>
public sealed class ConsentsModel(DerbesDb db, ConsentSwitches switches) : PageModel
{
    /// <summary>The purposes a customer switches themself; processing is withdrawn by closing the account.</summary>
    public static readonly ConsentPurpose[] Switchable = ConsentSwitches.Switchable;

    public int Edition { get; private set; }

    public List<ConsentRecord> Records { get; private set; } = [];

    /// <summary>Records that are a first "no" (an unticked box at registration), told as "did not agree", not "withdrew".</summary>
    public HashSet<long> Declined { get; private set; } = [];

    public Dictionary<ConsentPurpose, bool> Current { get; private set; } = [];

    /// <summary>Gives or withdraws one optional consent; a switch already in that position records nothing.</summary>
    public async Task<IActionResult> OnPostSwitchAsync(ConsentPurpose purpose, bool agree, CancellationToken cancellationToken)
    {
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var result = await switches.SwitchAsync(id, purpose, agree, ConsentChannel.WebForm, cancellationToken);
        if (result == ConsentSwitchResult.NotSwitchable)
        {
            return BadRequest();
        }
        if (result == ConsentSwitchResult.Changed)
        {
            TempData["Notice"] = agree ? "MyConsents.Given" : "MyConsents.Withdrawn";
        }
        return RedirectToPage();
    }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Edition = await switches.EditionAsync(cancellationToken);
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var records = await db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        // Every purpose that has a switch is listed, a never-given consent as "do not agree".
        foreach (var purpose in Switchable)
        {
            Current[purpose] = false;
        }
        Declined = ConsentLedger.Declined(records);
        foreach (var record in records)
        {
            Current[record.Purpose] = record.Granted;
        }
        Records = [.. records.AsEnumerable().Reverse()];
    }
}

using System.Security.Claims;
using Derbes.Web.Consents;
using Derbes.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// The customer's own consent ledger, in words: "On 26 Nov 2026 you agreed to edition 3 on the website", newest
/// first, with what they agree to now.
/// </summary>
public sealed class ConsentsModel(DerbesDb db) : PageModel
{
    public List<ConsentRecord> Records { get; private set; } = [];

    /// <summary>Records that are a first "no" (an unticked box at registration), told as "did not agree", not "withdrew".</summary>
    public HashSet<long> Declined { get; private set; } = [];

    public Dictionary<ConsentPurpose, bool> Current { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var records = await db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        // Every purpose that has a switch is listed, a never-given consent as "do not agree".
        foreach (var purpose in new[] { ConsentPurpose.AdvertisingEmail, ConsentPurpose.AdvertisingSms, ConsentPurpose.ThirdPartyTransfer })
        {
            Current[purpose] = false;
        }
        var agreedBefore = new HashSet<ConsentPurpose>();
        foreach (var record in records)
        {
            if (record.Action == ConsentAction.Withdraw && !agreedBefore.Contains(record.Purpose))
            {
                Declined.Add(record.Id);
            }
            if (record.Granted)
            {
                agreedBefore.Add(record.Purpose);
            }
            Current[record.Purpose] = record.Granted;
        }
        Records = [.. records.AsEnumerable().Reverse()];
    }
}

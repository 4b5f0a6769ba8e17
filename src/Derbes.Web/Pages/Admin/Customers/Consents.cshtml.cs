using System.Globalization;
using System.Text.Json;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Pages.Admin.Customers;

/// <summary>
/// The proof of consent for one customer (Art. 25): every ledger record with the exact words shown, as a page
/// to print (or save as PDF) and as JSON, for the authorized body. Needs the same grant as the record; made by
/// the PrivacyOfficer; each making is audited with the record's reason.
/// </summary>
[Authorize(Roles = StaffRoles.PrivacyOfficer)]
public sealed class ConsentsModel(CustomerRecords records, IOptionsMonitor<SiteOptions> site) : PageModel
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [BindProperty(SupportsGet = true)]
    public string? Grant { get; set; }

    public ConsentProof Proof { get; private set; } = null!;
    public SiteOptions Site => site.CurrentValue;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (records.CheckGrant(id, Grant) is not { } granted)
        {
            return RedirectToPage("/Admin/Customers/Record", new { id });
        }
        if (await records.ConsentProofAsync(id, granted, cancellationToken) is not { } proof)
        {
            return NotFound();
        }
        Proof = proof;
        return Page();
    }

    public async Task<IActionResult> OnGetJsonAsync(Guid id, CancellationToken cancellationToken)
    {
        if (records.CheckGrant(id, Grant) is not { } granted)
        {
            return RedirectToPage("/Admin/Customers/Record", new { id });
        }
        if (await records.ConsentProofAsync(id, granted, cancellationToken) is not { } proof)
        {
            return NotFound();
        }
        var document = new
        {
            @operator = new { name = Site.OperatorName, bin = Site.OperatorBin },
            customer = new { number = proof.Number, surname = proof.Profile.LastName, name = proof.Profile.FirstName },
            madeAtUtc = proof.MadeAt.UtcDateTime,
            ledger = new { records = proof.LedgerRecords, intact = proof.LedgerBrokenAt is null, firstBrokenRecord = proof.LedgerBrokenAt },
            records = proof.Records.Select(p => new
            {
                id = p.Record.Id,
                atUtc = p.Record.At.UtcDateTime,
                purpose = p.Record.Purpose.ToString(),
                action = p.Record.Action.ToString(),
                agrees = p.Record.Granted,
                channel = p.Record.Channel.ToString(),
                edition = p.Record.EditionNumber,
                language = p.Record.Language,
                text = p.Text,
                textSha256 = p.Record.TextSha256,
                ip = p.Record.Ip,
                userAgent = p.Record.UserAgent,
                staff = p.StaffName,
                reference = p.Record.Reference,
                previousHash = p.Record.PreviousHash,
                hash = p.Record.Hash,
            }),
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(document, Indented);
        return File(bytes, "application/json; charset=utf-8", string.Create(CultureInfo.InvariantCulture, $"consents-{proof.Number}.json"));
    }
}

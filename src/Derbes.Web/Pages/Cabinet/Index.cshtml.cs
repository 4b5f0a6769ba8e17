using System.Security.Claims;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>The personal cabinet's overview: who is signed in, masked contact details and document status.</summary>
public sealed class IndexModel(DerbesDb db, AccountDirectory directory) : PageModel
{
    public string FirstName { get; private set; } = "";
    public string LastName { get; private set; } = "";
    public string MaskedEmail { get; private set; } = "";
    public string? MaskedPhone { get; private set; }
    public bool PhoneConfirmed { get; private set; }
    public string CustomerNumber { get; private set; } = "";
    public List<(DocumentStatus Status, DateTimeOffset UploadedAt)> Documents { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var id = Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == id, cancellationToken);
        var profile = directory.Open(account);
        (FirstName, LastName) = (profile.FirstName, profile.LastName);
        MaskedEmail = Masking.Email(profile.Email);
        MaskedPhone = profile.Phone is null ? null : Masking.Phone(profile.Phone);
        PhoneConfirmed = account.PhoneNumberConfirmed;
        CustomerNumber = account.UserName ?? "";
        var documents = await db.Documents.AsNoTracking().Where(d => d.AccountId == id)
            .Select(d => new { d.Status, d.UploadedAt }).ToListAsync(cancellationToken);
        Documents = [.. documents.OrderBy(d => d.UploadedAt).Select(d => (d.Status, d.UploadedAt))];
    }
}

using System.Security.Claims;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Pages.Cabinet;

/// <summary>
/// The personal cabinet's overview: who is signed in, masked contact details, the account's standing, the documents'
/// status, open requests, and the latest edition of the policy when it is recent.
/// </summary>
public sealed class IndexModel(DerbesDb db, AccountDirectory directory, Derbes.Web.Requests.CustomerRequests requests, TimeProvider clock) : PageModel
{
    /// <summary>How long a newly published edition is pointed out on the overview.</summary>
    public static readonly TimeSpan RecentEdition = TimeSpan.FromDays(30);

    public string FirstName { get; private set; } = "";
    public string LastName { get; private set; } = "";
    public string MaskedEmail { get; private set; } = "";
    public string? MaskedPhone { get; private set; }
    public bool PhoneConfirmed { get; private set; }
    public string CustomerNumber { get; private set; } = "";
    public AccountStatus Status { get; private set; }
    public bool TwoFactor { get; private set; }
    public List<(DocumentStatus Status, DateTimeOffset UploadedAt)> Documents { get; private set; } = [];
    public (int Number, DateTimeOffset PublishedAt)? NewEdition { get; private set; }
    public Derbes.Web.Requests.OpenRequests OpenRequests { get; private set; } = new(0, null);

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
        Status = account.Status;
        TwoFactor = account.TwoFactorEnabled;
        var documents = await db.Documents.AsNoTracking().Where(d => d.AccountId == id)
            .Select(d => new { d.Status, d.UploadedAt }).ToListAsync(cancellationToken);
        Documents = [.. documents.OrderBy(d => d.UploadedAt).Select(d => (d.Status, d.UploadedAt))];
        OpenRequests = await requests.OpenAsync(id, cancellationToken);
        var latest = await db.PolicyEditions.AsNoTracking().OrderByDescending(e => e.Number)
            .Select(e => new { e.Number, e.PublishedAt }).FirstOrDefaultAsync(cancellationToken);
        if (latest is not null && latest.Number > 1 && clock.GetUtcNow() - latest.PublishedAt <= RecentEdition)
        {
            NewEdition = (latest.Number, latest.PublishedAt);
        }
    }
}

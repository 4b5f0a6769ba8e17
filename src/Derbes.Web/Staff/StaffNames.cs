using System.Globalization;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Staff;

/// <summary>
/// The names of members of staff for pages that list who did what (audit entries, register entries): the trail
/// stores account ids, people read names. Only staff accounts are named; a customer's id stays an id.
/// </summary>
public sealed class StaffNames(DerbesDb db, AccountDirectory directory)
{
    /// <summary>"First Last" for each id (as text, as the audit trail holds it) that is a member of staff.</summary>
    public async Task<Dictionary<string, string>> ForAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var guids = ids.Select(i => Guid.TryParse(i, CultureInfo.InvariantCulture, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).Distinct().ToList();
        if (guids.Count == 0)
        {
            return [];
        }
        var staff = await db.Users.AsNoTracking().Where(a => a.Kind == AccountKind.Staff && guids.Contains(a.Id)).ToListAsync(cancellationToken);
        return staff.ToDictionary(a => a.Id.ToString(), a =>
        {
            var profile = directory.Open(a);
            return $"{profile.FirstName} {profile.LastName}";
        });
    }

    public Task<Dictionary<string, string>> ForAsync(IEnumerable<Guid> ids, CancellationToken cancellationToken) =>
        ForAsync(ids.Select(i => i.ToString()), cancellationToken);
}

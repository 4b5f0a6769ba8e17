using System.Security.Claims;
using Derbes.Web.Customers;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

/// <summary>
/// The claims in a session: the account id, its number, the security stamp, the kind of account (the cabinet is
/// for customers only, <see cref="CustomerAccess"/>) and, for staff only, roles. With the stamp checked at every
/// request, the principal is rebuilt here each time, so a session made before a claim existed has it at once.
/// Derbes keeps no per-user claims, so Identity's user-claims query is skipped, and customers (who never
/// have roles) skip the role query too: both run at every sign-in and every stamp check.
/// </summary>
public sealed class AccountClaimsFactory(UserManager<Account> users, IOptions<IdentityOptions> options)
    : IUserClaimsPrincipalFactory<Account>
{
    public async Task<ClaimsPrincipal> CreateAsync(Account user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var claimTypes = options.Value.ClaimsIdentity;
        var identity = new ClaimsIdentity(IdentityConstants.ApplicationScheme, claimTypes.UserNameClaimType, claimTypes.RoleClaimType);
        identity.AddClaim(new Claim(claimTypes.UserIdClaimType, user.Id.ToString()));
        identity.AddClaim(new Claim(claimTypes.UserNameClaimType, user.UserName ?? ""));
        identity.AddClaim(new Claim(claimTypes.SecurityStampClaimType, user.SecurityStamp ?? ""));
        identity.AddClaim(new Claim(SessionClaims.Kind, user.Kind == AccountKind.Customer ? CustomerAccess.CustomerKind : CustomerAccess.StaffKind));
        if (user.Kind == AccountKind.Staff)
        {
            foreach (var role in await users.GetRolesAsync(user))
            {
                identity.AddClaim(new Claim(claimTypes.RoleClaimType, role));
            }
        }
        return new ClaimsPrincipal(identity);
    }
}

using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Startup;

/// <summary>Where one-time operator messages go: the console by default (tests read their own writer).</summary>
public sealed class OperatorConsole
{
    public TextWriter Writer { get; set; } = Console.Out;
}

/// <summary>
/// No default passwords anywhere: while no administrator exists, each start prints a one-time link (24 h)
/// with which the first administrator creates their own account, with TOTP from the first minute.
/// </summary>
public static class StaffSetup
{
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromHours(24);

    public static async Task OfferFirstAdministratorAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var db = services.GetRequiredService<DerbesDb>();
        if (await AdministratorExistsAsync(db, cancellationToken))
        {
            return;
        }
        var clock = services.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        // A new start voids the link printed by the previous one.
        await db.AccountTokens.Where(t => t.Purpose == TokenPurpose.StaffSetup && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
        var secret = SecretToken.NewLinkToken();
        db.AccountTokens.Add(new AccountToken
        {
            Id = Guid.NewGuid(),
            Purpose = TokenPurpose.StaffSetup,
            TokenHash = SecretToken.Hash(secret),
            CreatedAt = now,
            ExpiresAt = now + LinkLifetime,
            MaxAttempts = 1,
        });
        await db.SaveChangesAsync(cancellationToken);
        var site = services.GetRequiredService<IOptions<SiteOptions>>().Value;
        var console = services.GetRequiredService<OperatorConsole>();
        await console.Writer.WriteLineAsync(
            $"No administrator yet. Create the first one within 24 hours, once, at:{Environment.NewLine}  {site.Link("/setup?token=" + secret)}");
        await console.Writer.FlushAsync(cancellationToken);
        logger.LogInformation("First-administrator link issued (printed on the console, valid 24 h).");
    }

    public static async Task<bool> AdministratorExistsAsync(DerbesDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var role = await db.Roles.AsNoTracking().SingleOrDefaultAsync(r => r.Name == StaffRoles.Administrator, cancellationToken);
        return role is not null && await db.UserRoles.Where(ur => ur.RoleId == role.Id)
            .Join(db.Users, ur => ur.UserId, u => u.Id, (_, u) => u).AnyAsync(u => u.TwoFactorEnabled, cancellationToken);
    }

    public static async Task EnsureRolesAsync(RoleManager<IdentityRole<Guid>> roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        foreach (var name in StaffRoles.All)
        {
            if (!await roles.RoleExistsAsync(name))
            {
                await roles.CreateAsync(new IdentityRole<Guid>(name) { Id = Guid.NewGuid() });
            }
        }
    }
}

using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Derbes.Web.Tests.Infrastructure;

public sealed record StaffLogin(Guid Id, string FirstName, string Email, string Password, string TotpKey);

/// <summary>Members of staff for tests: made directly (as an accepted invitation leaves them) and signed in through the real pages.</summary>
public static class StaffJourneys
{
    public const string Password = "қызметкердің ұзын құпия сөзі 2026";

    /// <summary>An active member of staff with exactly <paramref name="roles"/> and an enrolled authenticator.</summary>
    public static async Task<StaffLogin> CreateAsync(DerbesApp app, params string[] roles)
    {
        ArgumentNullException.ThrowIfNull(app);
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DerbesDb>();
        var now = app.Clock.GetUtcNow();
        var email = $"staff.{Guid.NewGuid():N}@small.example.kz";
        // As an accepted invitation leaves them.
        var account = Derbes.Web.Customers.Account.NewStaff(now, "kk");
        account.ActivateStaff(now);
        services.GetRequiredService<PersonalDataVault>().CreateKey(account.Id);
        services.GetRequiredService<AccountDirectory>().Seal(account, new Profile("Әсем", "Жұмабаева", email, null));
        account.PasswordHash = await services.GetRequiredService<Argon2PasswordHasher>().HashAsync(Password);
        db.Users.Add(account);
        var key = StaffAuthenticator.NewKey();
        // As at enrolment: the current step counts as used.
        var step = now.ToUnixTimeSeconds() / 30;
        db.UserTokens.AddRange(StaffAuthenticator.Enrol(services.GetRequiredService<PersonalDataVault>(), account.Id, key, step));
        foreach (var role in roles)
        {
            var id = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleAsync();
            db.UserRoles.Add(new IdentityUserRole<Guid> { UserId = account.Id, RoleId = id });
        }
        await db.SaveChangesAsync();
        return new StaffLogin(account.Id, "Әсем", email, Password, key);
    }

    /// <summary>Password, then the authenticator's code (on the app's clock, moved on one step so the code is fresh).</summary>
    public static async Task<WebPage> SignInAsync(DerbesApp app, Browser browser, StaffLogin staff)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(browser);
        ArgumentNullException.ThrowIfNull(staff);
        var second = await Journeys.SignInAsync(browser, staff.Email, staff.Password);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = new Totp(Base32Encoding.ToBytes(staff.TotpKey)).ComputeTotp(app.Clock.GetUtcNow().UtcDateTime);
        return await browser.SubmitAsync(second, new Dictionary<string, string> { ["Code"] = code });
    }
}

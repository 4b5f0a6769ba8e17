using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Account;

public sealed class PasswordUpgradeTests : IClassFixture<PasswordUpgradeTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public PasswordUpgradeTests(App app) => _app = app;

    [Fact]
    public async Task AHashWithWeakerParametersIsUpgradedAtTheNextSuccessfulSignIn()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var hasher = _app.Service<Argon2PasswordHasher>();
        var weak = hasher.Hash(customer.Password, iterations: 1, memoryBytes: 8 * 1024 * 1024);
        await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).ExecuteUpdateAsync(s => s.SetProperty(a => a.PasswordHash, weak)));

        // A wrong password leaves the weak hash alone.
        await Journeys.SignInAsync(browser, customer.Email, customer.Password + "x");
        Assert.Equal(weak, await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.PasswordHash).SingleAsync()));

        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        var upgraded = await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.PasswordHash).SingleAsync());
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", upgraded, StringComparison.Ordinal);
        Assert.NotEqual(weak, upgraded);
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(e => e.Action == "password.rehashed")));
    }
}

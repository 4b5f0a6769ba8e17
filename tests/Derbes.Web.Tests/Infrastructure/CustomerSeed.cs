using System.Globalization;
using System.Security.Cryptography;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Infrastructure;

public sealed record SeededCustomer(Guid Id, string Number, string Email);

/// <summary>
/// Many confirmed customers at once, written as registration leaves them (sealed profile, own data key, consent
/// records) but without hashing a password each: for tests about lists of customers, not about signing in.
/// </summary>
public static class CustomerSeed
{
    public static async Task<List<SeededCustomer>> AddAsync(DerbesApp app, int count, Func<int, bool> agreesToTransfer, string language = "kk")
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(agreesToTransfer);
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DerbesDb>();
        var directory = services.GetRequiredService<AccountDirectory>();
        var ledger = services.GetRequiredService<ConsentLedger>();
        var vault = services.GetRequiredService<PersonalDataVault>();
        var now = app.Clock.GetUtcNow();
        // Consecutive numbers from a random start: unique within the run, like real customer numbers in form.
        var first = 1_000_000_000 + RandomNumberGenerator.GetInt32(0, 1_000_000_000);
        var seeded = new List<SeededCustomer>();
        for (var i = 0; i < count; i++)
        {
            var number = (first + i).ToString(CultureInfo.InvariantCulture);
            var email = $"seeded.{number}@example.kz";
            var account = Derbes.Web.Customers.Account.NewCustomer(now, language, number);
            account.ConfirmEmail(now);
            vault.CreateKey(account.Id);
            directory.Seal(account, new Profile("Айгүл", "Сейітова", email, null));
            db.Users.Add(account);
            ledger.Record(account.Id, ConsentPurpose.Processing, true, 1, language, "processing");
            if (agreesToTransfer(i))
            {
                ledger.Record(account.Id, ConsentPurpose.ThirdPartyTransfer, true, 1, language, "third parties");
            }
            seeded.Add(new SeededCustomer(account.Id, number, email));
        }
        await db.SaveChangesAsync();
        return seeded;
    }

    /// <summary>A later record of the ledger: the customer withdraws (or gives) a consent.</summary>
    public static async Task RecordAsync(DerbesApp app, Guid accountId, ConsentPurpose purpose, bool granted)
    {
        ArgumentNullException.ThrowIfNull(app);
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<ConsentLedger>().Record(accountId, purpose, granted, 1, "kk", granted ? "third parties" : "withdrawn");
        await scope.ServiceProvider.GetRequiredService<DerbesDb>().SaveChangesAsync();
    }
}

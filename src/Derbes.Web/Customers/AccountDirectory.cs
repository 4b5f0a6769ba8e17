using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Customers;

/// <summary>A person's profile, opened from its sealed form for one request.</summary>
public sealed record Profile(string FirstName, string LastName, string Email, string? Phone);

/// <summary>Finds accounts by email or phone through the blind indexes and opens their sealed profile.</summary>
public sealed class AccountDirectory(DerbesDb db, BlindIndex index, PersonalDataVault vault)
{
    public const string FirstNameField = "first-name";
    public const string LastNameField = "last-name";
    public const string EmailField = "email";
    public const string PhoneField = "phone";

    public Task<Account?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var key = index.Email(email);
        return db.Users.SingleOrDefaultAsync(a => a.EmailIndex == key, cancellationToken);
    }

    public Task<Account?> FindByPhoneAsync(string e164, CancellationToken cancellationToken)
    {
        var key = index.Phone(e164);
        return db.Users.SingleOrDefaultAsync(a => a.PhoneIndex == key, cancellationToken);
    }

    /// <summary>An email, a customer number, or a phone number in any form people type; null when none matches.</summary>
    public async Task<Account?> FindByLoginAsync(string login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(login);
        if (login.Contains('@', StringComparison.Ordinal))
        {
            return await FindByEmailAsync(login, cancellationToken);
        }
        // A customer number: ten digits starting with 1 or 2 (a phone's national number starts with 7, a staff
        // number with 9, and staff never sign in by number).
        if (login.Length == 10 && login.All(char.IsAsciiDigit) && login[0] is '1' or '2')
        {
            return await db.Users.SingleOrDefaultAsync(a => a.NormalizedUserName == login && a.Kind == AccountKind.Customer, cancellationToken);
        }
        if (KazakhPhone.TryNormalise(login, out var e164))
        {
            var account = await FindByPhoneAsync(e164, cancellationToken);
            // Sign-in and recovery by phone only once the number is proven to be theirs.
            return account is { PhoneNumberConfirmed: true } ? account : null;
        }
        return null;
    }

    public Profile Open(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return new Profile(
            vault.OpenString(account.Id, FirstNameField, account.SealedFirstName),
            vault.OpenString(account.Id, LastNameField, account.SealedLastName),
            vault.OpenString(account.Id, EmailField, account.SealedEmail),
            account.SealedPhone is null ? null : vault.OpenString(account.Id, PhoneField, account.SealedPhone));
    }

    /// <summary>Seals a profile into the account and sets its look-up indexes.</summary>
    public void Seal(Account account, Profile profile)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(profile);
        account.SealedFirstName = vault.Seal(account.Id, FirstNameField, profile.FirstName);
        account.SealedLastName = vault.Seal(account.Id, LastNameField, profile.LastName);
        account.SealedEmail = vault.Seal(account.Id, EmailField, BlindIndex.NormaliseEmail(profile.Email));
        account.EmailIndex = index.Email(profile.Email);
        if (profile.Phone is not null)
        {
            account.SealedPhone = vault.Seal(account.Id, PhoneField, profile.Phone);
            account.PhoneIndex = index.Phone(profile.Phone);
        }
    }
}

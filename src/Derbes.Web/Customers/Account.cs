using Microsoft.AspNetCore.Identity;

namespace Derbes.Web.Customers;

public enum AccountKind
{
    Customer = 0,
    Staff = 1,
}

public enum AccountStatus
{
    /// <summary>Registered, email not yet confirmed: cannot sign in.</summary>
    Unconfirmed = 0,
    Active = 1,
    /// <summary>Blocked by staff (Art. 24): no sign-in, no recovery, no processing except storage. For staff: deactivated.</summary>
    Blocked = 2,
    /// <summary>A member of staff invited by an administrator who has not yet set a password and an authenticator.</summary>
    Invited = 3,
    /// <summary>
    /// The customer withdrew consent to processing: no sign-in, no recovery, no advertising; the account is being
    /// closed (Art. 8 p.7: processing stops within 15 working days).
    /// </summary>
    Closing = 4,
    /// <summary>
    /// Closed and destroyed: every personal datum and document is gone and the data key is destroyed; what remains
    /// is a depersonalised stub (when registered, confirmed and closed, the language) for statistics.
    /// </summary>
    Destroyed = 5,
}

/// <summary>
/// A person with an account: a customer or a member of staff. Personal data (names, email, phone) is
/// never stored in the clear: it is sealed with the person's own data key (see <see cref="Security.PersonalDataVault"/>),
/// and email and phone are found through keyed HMAC indexes. Identity's own Email and PhoneNumber
/// columns are not mapped, so no plaintext copy can reach the database.
/// </summary>
public sealed class Account : IdentityUser<Guid>
{
    public AccountKind Kind { get; set; }
    public AccountStatus Status { get; set; }
    public string PreferredLanguage { get; set; } = "kk";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ConfirmedAt { get; set; }

    /// <summary>HMAC of the normalised email (lower-case, trimmed): the lookup key.</summary>
    public string EmailIndex { get; set; } = "";
    /// <summary>HMAC of the E.164 phone number.</summary>
    public string? PhoneIndex { get; set; }

    public byte[] SealedFirstName { get; set; } = [];
    public byte[] SealedLastName { get; set; } = [];
    public byte[] SealedEmail { get; set; } = [];
    public byte[]? SealedPhone { get; set; }

    /// <summary>When closing began (the customer closed the account or withdrew consent to processing): the grace period runs from here.</summary>
    public DateTimeOffset? ClosingSince { get; set; }
    /// <summary>When the closed account's personal data and documents were destroyed.</summary>
    public DateTimeOffset? DestroyedAt { get; set; }
    /// <summary>
    /// Why a law requires keeping this customer's data (recorded by the PrivacyOfficer, shown to the customer):
    /// a closure then ends in a block, not destruction, until the hold is lifted.
    /// </summary>
    public string? RetentionHold { get; set; }

    /// <summary>How many times the account has been locked in a row; each lock lasts twice the previous one.</summary>
    public int LockoutCount { get; set; }

    public bool CanSignIn => Status == AccountStatus.Active && EmailConfirmed;

    /// <summary>Blocked, or closing after the consent to processing was withdrawn: only storage goes on (no recovery, no transfers).</summary>
    public bool ProcessingStopped => Status is AccountStatus.Blocked or AccountStatus.Closing or AccountStatus.Destroyed;

    /// <summary>
    /// A customer as registration creates them: unconfirmed, no password yet, with <paramref name="number"/> as the
    /// customer number (the user name they may also sign in with).
    /// </summary>
    public static Account NewCustomer(DateTimeOffset now, string language, string number) => new()
    {
        Id = Guid.NewGuid(),
        Kind = AccountKind.Customer,
        Status = AccountStatus.Unconfirmed,
        PreferredLanguage = language,
        CreatedAt = now,
        SecurityStamp = Guid.NewGuid().ToString("N"),
        ConcurrencyStamp = Guid.NewGuid().ToString(),
        LockoutEnabled = true,
        UserName = number,
        NormalizedUserName = number,
    };

    /// <summary>
    /// A member of staff as an invitation creates them: no password, no authenticator, not yet able to sign in,
    /// with a staff number (9 and nine digits) where customers have their customer number.
    /// </summary>
    public static Account NewStaff(DateTimeOffset now, string language)
    {
        var number = "9" + System.Security.Cryptography.RandomNumberGenerator.GetInt32(100_000_000, 999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Account
        {
            Id = Guid.NewGuid(),
            Kind = AccountKind.Staff,
            Status = AccountStatus.Invited,
            PreferredLanguage = language,
            CreatedAt = now,
            LockoutEnabled = true,
            SecurityStamp = Guid.NewGuid().ToString("N"),
            ConcurrencyStamp = Guid.NewGuid().ToString(),
            UserName = number,
            NormalizedUserName = number,
        };
    }

    /// <summary>The staff member has a password and an enrolled authenticator: they may now sign in (two steps).</summary>
    public void ActivateStaff(DateTimeOffset at)
    {
        Status = AccountStatus.Active;
        ConfirmEmail(at);
        TwoFactorEnabled = true;
    }

    public void ConfirmEmail(DateTimeOffset at)
    {
        EmailConfirmed = true;
        ConfirmedAt ??= at;
        if (Status == AccountStatus.Unconfirmed)
        {
            Status = AccountStatus.Active;
        }
    }
}

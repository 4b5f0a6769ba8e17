using Derbes.Web.Security;

namespace Derbes.Web.Customers;

public enum TokenPurpose
{
    ConfirmEmail = 0,
    ConfirmPhone = 1,
    ResetPasswordLink = 2,
    ResetPasswordCode = 3,
    StaffSetup = 4,
    StaffInvitation = 5,
    /// <summary>The link to a customer's new email address; the address itself is the token's sealed payload.</summary>
    ChangeEmail = 6,
    /// <summary>The SMS code to a customer's new phone number; the number itself is the token's sealed payload.</summary>
    ChangePhone = 7,
}

/// <summary>
/// A single-use secret sent to a person (link or SMS code). Only its hash is stored. A code allows a few
/// tries; a newer token of the same purpose voids the older ones.
/// </summary>
public sealed class AccountToken
{
    public Guid Id { get; set; }
    public Guid? AccountId { get; set; }
    public TokenPurpose Purpose { get; set; }
    public string TokenHash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
    /// <summary>The security stamp when issued: any password change since voids the token.</summary>
    public string? SecurityStamp { get; set; }

    /// <summary>
    /// What the token is for, when that is personal data (the new email or phone of a change): sealed with the
    /// customer's own key, so it is never stored in the clear and dies with the key. Cleared once the token is used
    /// or voided: a pending address lives exactly as long as the link that would confirm it.
    /// </summary>
    public byte[]? SealedPayload { get; set; }

    public bool IsUsable(DateTimeOffset now) => UsedAt is null && now < ExpiresAt && Attempts < MaxAttempts;

    public bool Matches(string secret) => SecretToken.HashesEqual(TokenHash, SecretToken.Hash(secret));
}

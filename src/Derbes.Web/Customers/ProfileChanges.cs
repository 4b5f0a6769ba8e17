using System.Text;
using System.Text.RegularExpressions;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Customers;

/// <summary>Why a name typed for a profile was refused (the same rules as registration).</summary>
public enum NameProblem
{
    None,
    Required,
    TooLong,
    ControlCharacters,
}

/// <summary>The outcome of the current password asked before an email or phone change.</summary>
public enum ProfilePasswordCheck
{
    Right,
    Wrong,
    /// <summary>Too many wrong passwords (here or at sign-in): nothing is checked until the lock ends.</summary>
    LockedOut,
}

/// <summary>What became of a change of names or language.</summary>
public enum ProfileChange
{
    Changed,
    Unchanged,
    Invalid,
}

/// <summary>What became of a request to change the email address or the phone number.</summary>
public enum ContactChangeRequest
{
    /// <summary>Accepted: the link or code is on its way (the same answer whether the address or number is free or held by another account).</summary>
    Sent,
    Invalid,
    WrongPassword,
    LockedOut,
    /// <summary>The address or number is already the customer's own.</summary>
    Same,
    /// <summary>Too many requests in the last hour, or a new code asked for before the cool-down ended.</summary>
    TooSoon,
    /// <summary>A code resend with no change waiting for one.</summary>
    NothingPending,
}

/// <summary>What became of a confirmation link or code of an email or phone change.</summary>
public enum ContactChangeOutcome
{
    Changed,
    Invalid,
    Expired,
    TooManyAttempts,
    /// <summary>The proof was right, but the address or number belongs to another account by now: nothing changed.</summary>
    Taken,
}

/// <summary>A change waiting for its link or code: the new address or number (for the customer's own page), and until when.</summary>
public sealed record PendingChange(string Value, DateTimeOffset ExpiresAt);

/// <summary>
/// The customer changes their own profile (issue 6): names, email, phone and preferred language. Written once for
/// the cabinet's page and the mobile API. Every change is resealed with the customer's own key, audited without the
/// values, and announced by email in the customer's language. Email and phone changes need the current password (a
/// wrong one counts towards the sign-in lockout) and take effect only once the new address or number is proven by a
/// link or an SMS code. The address or number waiting for its proof is the token's sealed payload
/// (<see cref="AccountToken.SealedPayload"/>): never in the clear, and gone with the token.
/// <para>
/// An address or number held by another account gets exactly the same answers as a free one (SECURITY-CHECKS 4): the
/// link is not sent to a taken address, whose holder gets a neutral notice instead (someone asked to use it; nothing
/// changed, nothing to do); a taken number still gets its code, since only who holds the phone can learn at the end
/// that it cannot be linked. The unique indexes on the blind indexes decide a race for one address.
/// </para>
/// </summary>
public sealed partial class ProfileChanges(
    DerbesDb db,
    AccountDirectory directory,
    PersonalDataVault vault,
    BlindIndex index,
    Argon2PasswordHasher hasher,
    AccountTokens tokens,
    AccountMessages messages,
    AuditTrail audit,
    IOptions<AccountOptions> options,
    TimeProvider clock)
{
    /// <summary>As at registration.</summary>
    public const int MaxNameLength = 100;
    public const int MaxEmailLength = 254;
    public const int MaxPhoneLength = 32;

    /// <summary>Email-change requests (and phone codes) per account per hour: each sends a message to an address the customer typed.</summary>
    public const int RequestsPerHour = 5;

    /// <summary>The vault fields of the pending address and number: bound to their purpose, so one cannot stand for the other.</summary>
    public const string PendingEmailField = "pending-email";
    public const string PendingPhoneField = "pending-phone";

    /// <summary>The same rules as registration's form: required, at most 100 characters, no control characters.</summary>
    public static NameProblem CheckName(string? name)
    {
        var trimmed = (name ?? "").Trim();
        if (trimmed.Length == 0)
        {
            return NameProblem.Required;
        }
        if ((name ?? "").Length > MaxNameLength)
        {
            return NameProblem.TooLong;
        }
        return ControlCharacter().IsMatch(name!) ? NameProblem.ControlCharacters : NameProblem.None;
    }

    /// <summary>
    /// Checks the current password before a sensitive change. A wrong one counts like a failed sign-in and locks the
    /// account for sign-in the same way (SECURITY-CHECKS 7); while locked, nothing is checked. Saves what it records.
    /// </summary>
    public async Task<ProfilePasswordCheck> CheckPasswordAsync(Account account, string? password, string purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var now = clock.GetUtcNow();
        if (Lockout.IsLocked(account, now))
        {
            audit.Record("profile.password-refused", account.Id, purpose + ":locked");
            await db.SaveChangesAsync(cancellationToken);
            return ProfilePasswordCheck.LockedOut;
        }
        var result = account.PasswordHash is null || string.IsNullOrEmpty(password) || Encoding.UTF8.GetByteCount(password) > options.Value.MaxPasswordBytes
            ? PasswordVerificationResult.Failed
            : await hasher.VerifyAsync(account.PasswordHash, password);
        if (result != PasswordVerificationResult.Failed)
        {
            account.AccessFailedCount = 0;
            return ProfilePasswordCheck.Right;
        }
        var check = ProfilePasswordCheck.Wrong;
        if (Lockout.CountFailure(account, options.Value, now) is { } duration)
        {
            audit.Record("account.locked", account.Id, duration.ToString());
            check = ProfilePasswordCheck.LockedOut;
        }
        audit.Record("profile.password-refused", account.Id, purpose + ":" + (check == ProfilePasswordCheck.LockedOut ? "locked-out" : "wrong-password"));
        await db.SaveChangesAsync(cancellationToken);
        return check;
    }

    /// <summary>Changes first and last name; the audit says which changed, never to what.</summary>
    public async Task<ProfileChange> ChangeNamesAsync(Account account, string? firstName, string? lastName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (CheckName(firstName) != NameProblem.None || CheckName(lastName) != NameProblem.None)
        {
            return ProfileChange.Invalid;
        }
        var profile = directory.Open(account);
        var changed = new List<string>();
        if (profile.FirstName != firstName!.Trim())
        {
            changed.Add(AccountDirectory.FirstNameField);
        }
        if (profile.LastName != lastName!.Trim())
        {
            changed.Add(AccountDirectory.LastNameField);
        }
        if (changed.Count == 0)
        {
            return ProfileChange.Unchanged;
        }
        var renamed = profile with { FirstName = firstName.Trim(), LastName = lastName.Trim() };
        directory.Seal(account, renamed);
        audit.Record("profile.names-changed", account.Id, string.Join(",", changed));
        messages.NamesChanged(account, renamed);
        await db.SaveChangesAsync(cancellationToken);
        return ProfileChange.Changed;
    }

    /// <summary>The language of the customer's emails and SMS (the page also sets the site's language cookie).</summary>
    public async Task<ProfileChange> ChangeLanguageAsync(Account account, string? language, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (!Languages.IsSupported(language))
        {
            return ProfileChange.Invalid;
        }
        if (account.PreferredLanguage == language)
        {
            return ProfileChange.Unchanged;
        }
        var before = account.PreferredLanguage;
        account.PreferredLanguage = language!;
        audit.Record("profile.language-changed", account.Id, before + "->" + language);
        messages.LanguageChanged(account, directory.Open(account));
        await db.SaveChangesAsync(cancellationToken);
        return ProfileChange.Changed;
    }

    /// <summary>The new email address waiting for its link, if any.</summary>
    public async Task<PendingChange?> PendingEmailAsync(Account account, CancellationToken cancellationToken)
    {
        var token = await tokens.PendingAsync(account, TokenPurpose.ChangeEmail, cancellationToken);
        return token?.SealedPayload is null ? null : new PendingChange(vault.OpenString(account.Id, PendingEmailField, token.SealedPayload), token.ExpiresAt);
    }

    /// <summary>The new phone number waiting for its code, if any (none once the code is locked by wrong tries).</summary>
    public async Task<PendingChange?> PendingPhoneAsync(Account account, CancellationToken cancellationToken)
    {
        var token = await tokens.PendingAsync(account, TokenPurpose.ChangePhone, cancellationToken);
        return token?.SealedPayload is null ? null : new PendingChange(vault.OpenString(account.Id, PendingPhoneField, token.SealedPayload), token.ExpiresAt);
    }

    /// <summary>
    /// After the current password: a single-use link (24 h; voided by a newer request or a password change) to the new
    /// address, and a notice to the current one. A new address that another account holds gets the very same answer;
    /// its holder gets a neutral notice instead of the link.
    /// </summary>
    public async Task<ContactChangeRequest> RequestEmailChangeAsync(Account account, string? password, string? newEmail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var typed = (newEmail ?? "").Trim();
        if (typed.Length > MaxEmailLength || !EmailAddresses.IsDeliverable(typed))
        {
            return ContactChangeRequest.Invalid;
        }
        var check = await CheckPasswordAsync(account, password, "email-change", cancellationToken);
        if (check != ProfilePasswordCheck.Right)
        {
            return check == ProfilePasswordCheck.LockedOut ? ContactChangeRequest.LockedOut : ContactChangeRequest.WrongPassword;
        }
        var email = BlindIndex.NormaliseEmail(typed);
        var profile = directory.Open(account);
        if (index.Email(email) == account.EmailIndex)
        {
            await db.SaveChangesAsync(cancellationToken);
            return ContactChangeRequest.Same;
        }
        var now = clock.GetUtcNow();
        if (await tokens.CountIssuedSinceAsync(account.Id, TokenPurpose.ChangeEmail, now.AddHours(-1), cancellationToken) >= RequestsPerHour)
        {
            audit.Record("profile.email-change-requested", account.Id, "too-many");
            await db.SaveChangesAsync(cancellationToken);
            return ContactChangeRequest.TooSoon;
        }
        // A token in both cases, so the page, the hourly count and a later request look the same either way.
        var link = await tokens.IssueLinkAsync(account, TokenPurpose.ChangeEmail, options.Value.EmailConfirmationLifetime,
            vault.Seal(account.Id, PendingEmailField, email), cancellationToken);
        var holder = await directory.FindByEmailAsync(email, cancellationToken);
        if (holder is null)
        {
            messages.EmailChangeLink(account, profile with { Email = email }, link);
            audit.Record("profile.email-change-requested", account.Id, "link-sent");
        }
        else
        {
            messages.EmailAddressInUse(holder, directory.Open(holder));
            audit.Record("profile.email-change-requested", account.Id, "address-held");
            audit.Record("profile.email-claimed", holder.Id, "notified-holder");
        }
        messages.EmailChangeRequested(account, profile, Masking.Email(email));
        await db.SaveChangesAsync(cancellationToken);
        return ContactChangeRequest.Sent;
    }

    /// <summary>Whether a link would change an address, without using it (mail scanners open links: only the button confirms).</summary>
    public async Task<TokenCheck> CheckEmailLinkAsync(string? token, CancellationToken cancellationToken)
    {
        var (check, account, _) = await tokens.RedeemLinkWithPayloadAsync(token, TokenPurpose.ChangeEmail, consume: false, cancellationToken);
        return check == TokenCheck.Valid && account?.Status != AccountStatus.Active ? TokenCheck.Invalid : check;
    }

    /// <summary>
    /// Uses the link up and changes the address: new sealed email and index, the old address told. An address taken
    /// since the request (or at the same moment, which the unique index decides) changes nothing.
    /// </summary>
    public async Task<ContactChangeOutcome> ConfirmEmailChangeAsync(string? token, CancellationToken cancellationToken)
    {
        var (check, account, payload) = await tokens.RedeemLinkWithPayloadAsync(token, TokenPurpose.ChangeEmail, consume: true, cancellationToken);
        if (check != TokenCheck.Valid || account is null || payload is null || account.Status != AccountStatus.Active)
        {
            return check == TokenCheck.Expired ? ContactChangeOutcome.Expired : ContactChangeOutcome.Invalid;
        }
        var email = vault.OpenString(account.Id, PendingEmailField, payload);
        var holder = await directory.FindByEmailAsync(email, cancellationToken);
        if (holder is not null)
        {
            return await RefuseTakenAsync(account, "profile.email-change-failed", holder.Id == account.Id ? "already-own" : "address-held", cancellationToken);
        }
        var old = directory.Open(account);
        directory.Seal(account, old with { Email = email });
        // Links sent to the old address (a password reset, a confirmation) must not work for the account any more.
        foreach (var stale in await db.AccountTokens
            .Where(t => t.AccountId == account.Id && t.UsedAt == null && (t.Purpose == TokenPurpose.ResetPasswordLink || t.Purpose == TokenPurpose.ResetPasswordCode || t.Purpose == TokenPurpose.ConfirmEmail))
            .ToListAsync(cancellationToken))
        {
            stale.UsedAt = clock.GetUtcNow();
        }
        audit.Record("profile.email-changed", account.Id);
        messages.EmailChanged(account, old, Masking.Email(email));
        return await SaveOrRefuseTakenAsync(account, () => directory.FindByEmailAsync(email, cancellationToken), TokenPurpose.ChangeEmail, "profile.email-change-failed", cancellationToken);
    }

    /// <summary>
    /// After the current password: a six-digit code by SMS to the new number (10 minutes, 5 tries). A number held by
    /// another account gets its code too: the change is refused only after the code proves the phone.
    /// </summary>
    public async Task<(ContactChangeRequest Result, TimeSpan Wait)> RequestPhoneChangeAsync(Account account, string? password, string? newPhone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        if ((newPhone ?? "").Length > MaxPhoneLength || !KazakhPhone.TryNormalise(newPhone, out var phone))
        {
            return (ContactChangeRequest.Invalid, TimeSpan.Zero);
        }
        var check = await CheckPasswordAsync(account, password, "phone-change", cancellationToken);
        if (check != ProfilePasswordCheck.Right)
        {
            return (check == ProfilePasswordCheck.LockedOut ? ContactChangeRequest.LockedOut : ContactChangeRequest.WrongPassword, TimeSpan.Zero);
        }
        if (account.PhoneNumberConfirmed && account.PhoneIndex == index.Phone(phone))
        {
            await db.SaveChangesAsync(cancellationToken);
            return (ContactChangeRequest.Same, TimeSpan.Zero);
        }
        return await SendPhoneCodeAsync(account, vault.Seal(account.Id, PendingPhoneField, phone), phone, "profile.phone-change-requested", cancellationToken);
    }

    /// <summary>A new code for the change waiting for one, after the cool-down; a code locked by wrong tries is not renewed.</summary>
    public async Task<(ContactChangeRequest Result, TimeSpan Wait)> ResendPhoneCodeAsync(Account account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var pending = await tokens.PendingAsync(account, TokenPurpose.ChangePhone, cancellationToken);
        if (pending?.SealedPayload is null)
        {
            return (ContactChangeRequest.NothingPending, TimeSpan.Zero);
        }
        var phone = vault.OpenString(account.Id, PendingPhoneField, pending.SealedPayload);
        return await SendPhoneCodeAsync(account, pending.SealedPayload, phone, "profile.phone-code-resent", cancellationToken);
    }

    /// <summary>Checks the code; when right, the number becomes the account's (sealed, indexed, confirmed) and the customer is told by email.</summary>
    public async Task<ContactChangeOutcome> ConfirmPhoneChangeAsync(Account account, string? code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var (check, payload) = await tokens.RedeemCodeWithPayloadAsync(account, TokenPurpose.ChangePhone, code, cancellationToken);
        if (check != TokenCheck.Valid || payload is null)
        {
            audit.Record("profile.phone-code-failed", account.Id, check.ToString());
            await db.SaveChangesAsync(cancellationToken);
            return check switch
            {
                TokenCheck.Expired => ContactChangeOutcome.Expired,
                TokenCheck.TooManyAttempts => ContactChangeOutcome.TooManyAttempts,
                _ => ContactChangeOutcome.Invalid,
            };
        }
        var phone = vault.OpenString(account.Id, PendingPhoneField, payload);
        var holder = await directory.FindByPhoneAsync(phone, cancellationToken);
        if (holder is not null && holder.Id != account.Id)
        {
            return await RefuseTakenAsync(account, "profile.phone-change-failed", "number-held", cancellationToken);
        }
        var profile = directory.Open(account);
        directory.Seal(account, profile with { Phone = phone });
        account.PhoneNumberConfirmed = true;
        audit.Record("profile.phone-changed", account.Id);
        messages.PhoneChanged(account, profile, Masking.Phone(phone));
        return await SaveOrRefuseTakenAsync(account, () => directory.FindByPhoneAsync(phone, cancellationToken), TokenPurpose.ChangePhone, "profile.phone-change-failed", cancellationToken);
    }

    private async Task<(ContactChangeRequest, TimeSpan)> SendPhoneCodeAsync(Account account, byte[] sealedPhone, string phone, string action, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var last = await tokens.LastIssuedAsync(account.Id, TokenPurpose.ChangePhone, cancellationToken);
        var wait = last + options.Value.PhoneCodeResendCooldown - now;
        var tooMany = await tokens.CountIssuedSinceAsync(account.Id, TokenPurpose.ChangePhone, now.AddHours(-1), cancellationToken) >= RequestsPerHour;
        if (wait > TimeSpan.Zero || tooMany)
        {
            audit.Record(action, account.Id, tooMany ? "too-many" : "cooldown");
            await db.SaveChangesAsync(cancellationToken);
            return (ContactChangeRequest.TooSoon, wait > TimeSpan.Zero ? wait.Value : TimeSpan.FromHours(1));
        }
        var code = await tokens.IssueCodeAsync(account, TokenPurpose.ChangePhone, options.Value.PhoneCodeLifetime, options.Value.PhoneCodeMaxAttempts, sealedPhone, cancellationToken);
        messages.PhoneCode(account, phone, code, "change-phone");
        audit.Record(action, account.Id, "code-sent");
        await db.SaveChangesAsync(cancellationToken);
        return (ContactChangeRequest.Sent, TimeSpan.Zero);
    }

    /// <summary>The proof was right but the address or number is another account's: the token stays used, nothing else changes.</summary>
    private async Task<ContactChangeOutcome> RefuseTakenAsync(Account account, string action, string outcome, CancellationToken cancellationToken)
    {
        audit.Record(action, account.Id, outcome);
        await db.SaveChangesAsync(cancellationToken);
        return ContactChangeOutcome.Taken;
    }

    /// <summary>
    /// Saves a change of address or number. When another account took it between the check and the save, the unique
    /// index refuses the save: the change is dropped, the proof stays used, and the refusal is audited.
    /// </summary>
    private async Task<ContactChangeOutcome> SaveOrRefuseTakenAsync(Account account, Func<Task<Account?>> holderNow, TokenPurpose purpose, string action, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return ContactChangeOutcome.Changed;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            var holder = await holderNow();
            if (holder is null || holder.Id == account.Id)
            {
                throw;
            }
            var now = clock.GetUtcNow();
            await db.AccountTokens.Where(t => t.AccountId == account.Id && t.Purpose == purpose && t.UsedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now).SetProperty(t => t.SealedPayload, (byte[]?)null), cancellationToken);
            return await RefuseTakenAsync(account, action, "lost-race", cancellationToken);
        }
    }

    [GeneratedRegex(@"\p{Cc}")]
    private static partial Regex ControlCharacter();
}

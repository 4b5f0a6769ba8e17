using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Customers;

public enum TokenCheck
{
    Valid,
    Invalid,
    Expired,
    TooManyAttempts,
}

/// <summary>Issues and checks single-use links and SMS codes. Changes are saved by the caller's SaveChanges.</summary>
public sealed class AccountTokens(DerbesDb db, TimeProvider clock)
{
    /// <summary>Issues a link token; older unused tokens of the same purpose stop working.</summary>
    public Task<string> IssueLinkAsync(Account account, TokenPurpose purpose, TimeSpan lifetime, CancellationToken cancellationToken) =>
        IssueLinkAsync(account, purpose, lifetime, null, cancellationToken);

    /// <summary>A link that carries what it confirms, sealed with the account's key (see <see cref="AccountToken.SealedPayload"/>).</summary>
    public async Task<string> IssueLinkAsync(Account account, TokenPurpose purpose, TimeSpan lifetime, byte[]? sealedPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var secret = SecretToken.NewLinkToken();
        await AddAsync(account, purpose, secret, lifetime, maxAttempts: 1, sealedPayload, cancellationToken);
        return secret;
    }

    public Task<string> IssueCodeAsync(Account account, TokenPurpose purpose, TimeSpan lifetime, int maxAttempts, CancellationToken cancellationToken) =>
        IssueCodeAsync(account, purpose, lifetime, maxAttempts, null, cancellationToken);

    /// <summary>A code that carries what it confirms, sealed with the account's key (see <see cref="AccountToken.SealedPayload"/>).</summary>
    public async Task<string> IssueCodeAsync(Account account, TokenPurpose purpose, TimeSpan lifetime, int maxAttempts, byte[]? sealedPayload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var code = SecretToken.NewSixDigitCode();
        // A code is short, so its hash is salted with a random id to keep the unique index meaningful.
        await AddAsync(account, purpose, code, lifetime, maxAttempts, sealedPayload, cancellationToken);
        return code;
    }

    /// <summary>
    /// The account's latest token of this purpose while it can still be used (not used, voided, expired, locked
    /// by wrong tries, or outdated by a password change): a change waiting for its link or code. Read only.
    /// </summary>
    public async Task<AccountToken?> PendingAsync(Account account, TokenPurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var token = await db.AccountTokens.AsNoTracking()
            .Where(t => t.AccountId == account.Id && t.Purpose == purpose && t.UsedAt == null)
            .OrderByDescending(t => t.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        return token is not null && token.IsUsable(clock.GetUtcNow()) && (token.SecurityStamp is null || token.SecurityStamp == account.SecurityStamp)
            ? token
            : null;
    }

    /// <summary>The latest token of this purpose issued to the account, if any (for resend cool-downs).</summary>
    public Task<DateTimeOffset?> LastIssuedAsync(Guid accountId, TokenPurpose purpose, CancellationToken cancellationToken) =>
        db.AccountTokens.Where(t => t.AccountId == accountId && t.Purpose == purpose)
            .OrderByDescending(t => t.CreatedAt).Select(t => (DateTimeOffset?)t.CreatedAt).FirstOrDefaultAsync(cancellationToken);

    public Task<int> CountIssuedSinceAsync(Guid accountId, TokenPurpose purpose, DateTimeOffset since, CancellationToken cancellationToken) =>
        db.AccountTokens.CountAsync(t => t.AccountId == accountId && t.Purpose == purpose && t.CreatedAt >= since, cancellationToken);

    /// <summary>Finds the account of a link token and uses the token up. Wrong, used, expired or voided tokens all fail.</summary>
    public async Task<(TokenCheck Check, Account? Account)> RedeemLinkAsync(string? secret, TokenPurpose purpose, bool consume, CancellationToken cancellationToken)
    {
        var (check, account, _) = await RedeemLinkWithPayloadAsync(secret, purpose, consume, cancellationToken);
        return (check, account);
    }

    /// <summary>
    /// As <see cref="RedeemLinkAsync"/>, and also returns the token's sealed payload when the link is valid. Using
    /// the token up clears the payload from the row (the caller holds it for this request only).
    /// </summary>
    public async Task<(TokenCheck Check, Account? Account, byte[]? Payload)> RedeemLinkWithPayloadAsync(string? secret, TokenPurpose purpose, bool consume, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 128)
        {
            return (TokenCheck.Invalid, null, null);
        }
        var hash = SecretToken.Hash(secret);
        var token = await db.AccountTokens.SingleOrDefaultAsync(t => t.TokenHash == hash && t.Purpose == purpose, cancellationToken);
        if (token?.AccountId is null)
        {
            return (TokenCheck.Invalid, null, null);
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == token.AccountId, cancellationToken);
        if (account is null || token.UsedAt is not null || (token.SecurityStamp is not null && token.SecurityStamp != account.SecurityStamp))
        {
            return (TokenCheck.Invalid, null, null);
        }
        if (clock.GetUtcNow() >= token.ExpiresAt)
        {
            return (TokenCheck.Expired, null, null);
        }
        var payload = token.SealedPayload;
        if (consume)
        {
            token.UsedAt = clock.GetUtcNow();
            token.SealedPayload = null;
        }
        return (TokenCheck.Valid, account, payload);
    }

    /// <summary>Checks a six-digit code against the account's latest code of this purpose; counts wrong tries.</summary>
    public async Task<TokenCheck> RedeemCodeAsync(Account account, TokenPurpose purpose, string? code, CancellationToken cancellationToken) =>
        (await RedeemCodeWithPayloadAsync(account, purpose, code, cancellationToken)).Check;

    /// <summary>
    /// As <see cref="RedeemCodeAsync"/>, and also returns the token's sealed payload when the code is right (the row's
    /// copy is cleared as the code is used up).
    /// </summary>
    public async Task<(TokenCheck Check, byte[]? Payload)> RedeemCodeWithPayloadAsync(Account account, TokenPurpose purpose, string? code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var now = clock.GetUtcNow();
        var token = await db.AccountTokens
            .Where(t => t.AccountId == account.Id && t.Purpose == purpose && t.UsedAt == null)
            .OrderByDescending(t => t.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (token is null || (token.SecurityStamp is not null && token.SecurityStamp != account.SecurityStamp))
        {
            return (TokenCheck.Invalid, null);
        }
        if (now >= token.ExpiresAt)
        {
            return (TokenCheck.Expired, null);
        }
        if (token.Attempts >= token.MaxAttempts)
        {
            return (TokenCheck.TooManyAttempts, null);
        }
        var typed = new string((code ?? "").Where(char.IsAsciiDigit).ToArray());
        if (typed.Length != 6 || !SecretToken.HashesEqual(token.TokenHash, SecretToken.Hash(token.Id.ToString("N") + typed)))
        {
            token.Attempts++;
            return (token.Attempts >= token.MaxAttempts ? TokenCheck.TooManyAttempts : TokenCheck.Invalid, null);
        }
        var payload = token.SealedPayload;
        token.UsedAt = now;
        token.SealedPayload = null;
        return (TokenCheck.Valid, payload);
    }

    private async Task AddAsync(Account account, TokenPurpose purpose, string secret, TimeSpan lifetime, int maxAttempts, byte[]? sealedPayload, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // A newer token voids the older ones of the same purpose (SECURITY-CHECKS 18), and their payloads go with them.
        await db.AccountTokens
            .Where(t => t.AccountId == account.Id && t.Purpose == purpose && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now).SetProperty(t => t.SealedPayload, (byte[]?)null), cancellationToken);
        var id = Guid.NewGuid();
        var isCode = secret.Length == 6;
        db.AccountTokens.Add(new AccountToken
        {
            Id = id,
            AccountId = account.Id,
            Purpose = purpose,
            TokenHash = SecretToken.Hash(isCode ? id.ToString("N") + secret : secret),
            CreatedAt = now,
            ExpiresAt = now + lifetime,
            MaxAttempts = maxAttempts,
            SecurityStamp = account.SecurityStamp,
            SealedPayload = sealedPayload,
        });
    }
}

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
    public async Task<string> IssueLinkAsync(Account account, TokenPurpose purpose, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var secret = SecretToken.NewLinkToken();
        await AddAsync(account, purpose, secret, lifetime, maxAttempts: 1, cancellationToken);
        return secret;
    }

    public async Task<string> IssueCodeAsync(Account account, TokenPurpose purpose, TimeSpan lifetime, int maxAttempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var code = SecretToken.NewSixDigitCode();
        // A code is short, so its hash is salted with a random id to keep the unique index meaningful.
        await AddAsync(account, purpose, code, lifetime, maxAttempts, cancellationToken);
        return code;
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
        if (string.IsNullOrEmpty(secret) || secret.Length > 128)
        {
            return (TokenCheck.Invalid, null);
        }
        var hash = SecretToken.Hash(secret);
        var token = await db.AccountTokens.SingleOrDefaultAsync(t => t.TokenHash == hash && t.Purpose == purpose, cancellationToken);
        if (token?.AccountId is null)
        {
            return (TokenCheck.Invalid, null);
        }
        var account = await db.Users.SingleOrDefaultAsync(a => a.Id == token.AccountId, cancellationToken);
        if (account is null || token.UsedAt is not null || (token.SecurityStamp is not null && token.SecurityStamp != account.SecurityStamp))
        {
            return (TokenCheck.Invalid, null);
        }
        if (clock.GetUtcNow() >= token.ExpiresAt)
        {
            return (TokenCheck.Expired, null);
        }
        if (consume)
        {
            token.UsedAt = clock.GetUtcNow();
        }
        return (TokenCheck.Valid, account);
    }

    /// <summary>Checks a six-digit code against the account's latest code of this purpose; counts wrong tries.</summary>
    public async Task<TokenCheck> RedeemCodeAsync(Account account, TokenPurpose purpose, string? code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var now = clock.GetUtcNow();
        var token = await db.AccountTokens
            .Where(t => t.AccountId == account.Id && t.Purpose == purpose && t.UsedAt == null)
            .OrderByDescending(t => t.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (token is null || (token.SecurityStamp is not null && token.SecurityStamp != account.SecurityStamp))
        {
            return TokenCheck.Invalid;
        }
        if (now >= token.ExpiresAt)
        {
            return TokenCheck.Expired;
        }
        if (token.Attempts >= token.MaxAttempts)
        {
            return TokenCheck.TooManyAttempts;
        }
        var typed = new string((code ?? "").Where(char.IsAsciiDigit).ToArray());
        if (typed.Length != 6 || !SecretToken.HashesEqual(token.TokenHash, SecretToken.Hash(token.Id.ToString("N") + typed)))
        {
            token.Attempts++;
            return token.Attempts >= token.MaxAttempts ? TokenCheck.TooManyAttempts : TokenCheck.Invalid;
        }
        token.UsedAt = now;
        return TokenCheck.Valid;
    }

    private async Task AddAsync(Account account, TokenPurpose purpose, string secret, TimeSpan lifetime, int maxAttempts, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // A newer token voids the older ones of the same purpose (SECURITY-CHECKS 18).
        await db.AccountTokens
            .Where(t => t.AccountId == account.Id && t.Purpose == purpose && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
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
        });
    }
}

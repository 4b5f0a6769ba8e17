using System.Security.Claims;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Api;

/// <summary>A new pair of tokens, shown to the app once.</summary>
public sealed record IssuedTokens(string AccessToken, DateTimeOffset AccessExpiresAt, string RefreshToken, DateTimeOffset RefreshExpiresAt);

public enum RefreshOutcome
{
    Refreshed,
    /// <summary>Unknown, expired, or its session ended (signed out, blocked, password changed).</summary>
    Invalid,
    /// <summary>A refresh token already exchanged was presented again: the session ended.</summary>
    Reused,
}

/// <summary>
/// The mobile app's tokens. They are opaque random strings (256 bits) looked up by their hash on every call, not
/// self-contained JWTs or ASP.NET's data-protected bearer tokens: every call must check the session row anyway (so
/// "end this session", "sign out everywhere", a password change or a block stop the app at its very next call, as
/// they stop a browser), and once the database is asked, a signed token adds nothing but a key to manage and a
/// lifetime that cannot be cut short. Only hashes are stored. Refresh tokens are rotated on every use; presenting
/// one that was already exchanged means a copy is in someone else's hands, so the whole session ends.
/// </summary>
public sealed class AppTokens(DerbesDb db, AuditTrail audit, IOptions<ApiOptions> options, TimeProvider clock)
{
    /// <summary>Prefixes tell the two kinds apart at a glance and let secret scanners recognise a leaked token.</summary>
    public const string AccessPrefix = "dat_";
    public const string RefreshPrefix = "drt_";

    /// <summary>How often a session's "last seen" time is written (as for cookies).</summary>
    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Opens a session for the app, listed with the browser sessions, and issues its first pair; saved with the
    /// caller's SaveChanges (together with the sign-in's audit entry).
    /// </summary>
    public IssuedTokens OpenSession(Account account, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(context);
        var now = clock.GetUtcNow();
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var session = new UserSession
        {
            Id = Guid.NewGuid(),
            AccountId = account.Id,
            CreatedAt = now,
            LastSeenAt = now,
            // The app keeps its refresh token: like a remembered browser, it stays signed in across restarts.
            Remembered = true,
            UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent,
            Ip = context.Connection.RemoteIpAddress?.ToString() ?? "",
        };
        db.Sessions.Add(session);
        return Issue(session.Id, account.SecurityStamp ?? "", now);
    }

    /// <summary>
    /// Removes the account's tokens that are past their expiry (of every session, ended ones included): of no use
    /// any more, not even to detect a reuse. Runs at each sign-in, so rows do not pile up.
    /// </summary>
    public Task<int> PruneAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return db.AppTokens
            .Where(t => t.ExpiresAt <= now && db.Sessions.Any(s => s.Id == t.SessionId && s.AccountId == accountId))
            .ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// The customer an access token stands for, or null. Checked on every call: the token is known and not expired,
    /// its session is open, the account's security stamp is the one it was issued under, and the account is a
    /// customer who may sign in. A session found stale here is ended, as the cookie check does.
    /// </summary>
    public async Task<ClaimsPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(AccessPrefix, StringComparison.Ordinal) || token.Length > 128)
        {
            return null;
        }
        var hash = SecretToken.Hash(token);
        var found = await (
            from t in db.AppTokens.AsNoTracking()
            where t.TokenHash == hash && t.Kind == AppTokenKind.Access
            join s in db.Sessions.AsNoTracking() on t.SessionId equals s.Id
            join a in db.Users.AsNoTracking() on s.AccountId equals a.Id
            select new { t.ExpiresAt, t.SecurityStamp, SessionId = s.Id, s.EndedAt, s.LastSeenAt, AccountId = a.Id, AccountStamp = a.SecurityStamp, a.Status, a.EmailConfirmed, a.Kind })
            .SingleOrDefaultAsync(cancellationToken);
        var now = clock.GetUtcNow();
        if (found is null || found.ExpiresAt <= now || found.EndedAt is not null)
        {
            return null;
        }
        if (found.AccountStamp != found.SecurityStamp || found.Kind != AccountKind.Customer || found.Status != AccountStatus.Active || !found.EmailConfirmed)
        {
            await db.Sessions.Where(s => s.Id == found.SessionId && s.EndedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
            return null;
        }
        if (now - found.LastSeenAt >= LastSeenResolution)
        {
            await db.Sessions.Where(s => s.Id == found.SessionId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
        }
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, found.AccountId.ToString()),
                new Claim(SessionClaims.SessionId, found.SessionId.ToString("N")),
            ],
            ApiAuthentication.BearerScheme);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// Exchanges a refresh token for a new pair. The old token is spent by a conditional update, so of two exchanges
    /// of one token (a thief's and the app's) exactly one wins and the other ends the session.
    /// </summary>
    public async Task<(RefreshOutcome Outcome, IssuedTokens? Tokens)> RefreshAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.StartsWith(RefreshPrefix, StringComparison.Ordinal) || token.Length > 128)
        {
            return (RefreshOutcome.Invalid, null);
        }
        var hash = SecretToken.Hash(token);
        var presented = await db.AppTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash && t.Kind == AppTokenKind.Refresh, cancellationToken);
        if (presented is null)
        {
            return (RefreshOutcome.Invalid, null);
        }
        var session = await db.Sessions.SingleAsync(s => s.Id == presented.SessionId, cancellationToken);
        var now = clock.GetUtcNow();
        if (presented.UsedAt is not null)
        {
            return (await EndForReuseAsync(session, now, cancellationToken), null);
        }
        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == session.AccountId, cancellationToken);
        if (presented.ExpiresAt <= now || !session.IsOpen)
        {
            return (RefreshOutcome.Invalid, null);
        }
        if (account.SecurityStamp != presented.SecurityStamp || account.Kind != AccountKind.Customer || !account.CanSignIn)
        {
            session.End(now);
            await db.SaveChangesAsync(cancellationToken);
            return (RefreshOutcome.Invalid, null);
        }
        var spent = await db.AppTokens.Where(t => t.Id == presented.Id && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken);
        if (spent == 0)
        {
            return (await EndForReuseAsync(session, now, cancellationToken), null);
        }
        // Tokens of this session past their expiry are of no use, not even to detect a reuse: they go.
        await db.AppTokens.Where(t => t.SessionId == session.Id && t.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        session.LastSeenAt = now;
        var issued = Issue(session.Id, presented.SecurityStamp, now);
        await db.SaveChangesAsync(cancellationToken);
        return (RefreshOutcome.Refreshed, issued);
    }

    /// <summary>
    /// The session a refresh token belongs to, if the token is one of this account's and its session is still open:
    /// for signing out with a refresh token when the access token has already expired.
    /// </summary>
    public async Task<UserSession?> OpenSessionOfAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.StartsWith(RefreshPrefix, StringComparison.Ordinal) || token.Length > 128)
        {
            return null;
        }
        var hash = SecretToken.Hash(token);
        var sessionId = await db.AppTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.Kind == AppTokenKind.Refresh && t.UsedAt == null)
            .Select(t => (Guid?)t.SessionId)
            .SingleOrDefaultAsync(cancellationToken);
        return sessionId is null ? null : await db.Sessions.SingleOrDefaultAsync(s => s.Id == sessionId && s.EndedAt == null, cancellationToken);
    }

    /// <summary>
    /// A new pair for the session of this very call after a change gave the account a new security stamp (a password
    /// change): every other session and app stops, this one goes on. The session's old tokens are removed at once;
    /// the new ones are saved with the caller's SaveChanges.
    /// </summary>
    public async Task<IssuedTokens> ReissueAsync(Guid sessionId, string stamp, CancellationToken cancellationToken)
    {
        await db.AppTokens.Where(t => t.SessionId == sessionId).ExecuteDeleteAsync(cancellationToken);
        return Issue(sessionId, stamp, clock.GetUtcNow());
    }

    /// <summary>Of the given sessions, those the app opened (they hold tokens), for telling the app from browsers in a list.</summary>
    public async Task<HashSet<Guid>> AppSessionsAsync(IReadOnlyCollection<Guid> sessions, CancellationToken cancellationToken) =>
        [.. await db.AppTokens.AsNoTracking().Where(t => sessions.Contains(t.SessionId)).Select(t => t.SessionId).Distinct().ToListAsync(cancellationToken)];

    private async Task<RefreshOutcome> EndForReuseAsync(UserSession session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // A spent token again: the app and someone else both hold the family. Neither may go on.
        if (session.IsOpen)
        {
            session.End(now);
            audit.Record("api.refresh-reused", session.AccountId, outcome: "session-ended:" + session.Id.ToString("N")[..12], actor: "anonymous", role: "");
            await db.SaveChangesAsync(cancellationToken);
        }
        return RefreshOutcome.Reused;
    }

    private IssuedTokens Issue(Guid sessionId, string stamp, DateTimeOffset now)
    {
        var lifetimes = options.Value;
        var access = AccessPrefix + SecretToken.NewLinkToken();
        var refresh = RefreshPrefix + SecretToken.NewLinkToken();
        var accessExpires = now + lifetimes.AccessTokenLifetime;
        var refreshExpires = now + lifetimes.RefreshTokenLifetime;
        db.AppTokens.Add(new AppToken { SessionId = sessionId, Kind = AppTokenKind.Access, TokenHash = SecretToken.Hash(access), SecurityStamp = stamp, IssuedAt = now, ExpiresAt = accessExpires });
        db.AppTokens.Add(new AppToken { SessionId = sessionId, Kind = AppTokenKind.Refresh, TokenHash = SecretToken.Hash(refresh), SecurityStamp = stamp, IssuedAt = now, ExpiresAt = refreshExpires });
        return new IssuedTokens(access, accessExpires, refresh, refreshExpires);
    }

    /// <summary>Seconds from now until <paramref name="at"/>, as the token response states lifetimes.</summary>
    public int SecondsUntil(DateTimeOffset at) =>
        (int)Math.Max(0, Math.Round((at - clock.GetUtcNow()).TotalSeconds, MidpointRounding.AwayFromZero));
}

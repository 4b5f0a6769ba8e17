using System.Globalization;
using System.Security.Cryptography;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Retention;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Retention;

/// <summary>What a seeded customer holds: their account, a document with its file, a session with an app token.</summary>
public sealed record RetainedCustomer(Guid Id, string Email, Guid DocumentId, string StorageName, Guid SessionId);

/// <summary>
/// Customers written as registration (and a later review, a sign-in) leaves them, with times in the past, so the
/// retention categories find them due without moving the clock: for tests of what the daily run destroys and keeps.
/// </summary>
public static class RetentionSeed
{
    /// <summary>The tests run the job by hand: the scheduled look happens once, at start, and not again in a test.</summary>
    public static Dictionary<string, string?> Quiet(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Retention:CheckInterval"] = "40.00:00:00" };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>Waits for the scheduled look at start to have finished its run (on a fresh database there always is one due).</summary>
    public static async Task StartedAsync(DerbesApp app)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await app.WithDbAsync(db => db.RetentionRuns.AnyAsync(r => r.FinishedAt != null)))
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("The retention run at start never finished.");
    }

    /// <summary>A customer registered <paramref name="registeredAgo"/> ago, with a document reviewed (or not) and a session last used <paramref name="sessionAgo"/> ago.</summary>
    public static async Task<RetainedCustomer> AddAsync(
        DerbesApp app,
        TimeSpan registeredAgo,
        bool confirmed = true,
        AccountStatus? status = null,
        string? hold = null,
        DocumentStatus document = DocumentStatus.AwaitingReview,
        TimeSpan? reviewedAgo = null,
        TimeSpan? sessionAgo = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DerbesDb>();
        var vault = services.GetRequiredService<PersonalDataVault>();
        var now = app.Clock.GetUtcNow();
        var registered = now - registeredAgo;
        var number = (1_000_000_000 + RandomNumberGenerator.GetInt32(0, 1_000_000_000)).ToString(CultureInfo.InvariantCulture);
        var email = $"retained.{number}@example.kz";
        var account = Derbes.Web.Customers.Account.NewCustomer(registered, "kk", number);
        if (confirmed)
        {
            account.ConfirmEmail(registered);
        }
        account.Status = status ?? account.Status;
        account.RetentionHold = hold;
        vault.CreateKey(account.Id);
        services.GetRequiredService<AccountDirectory>().Seal(account, new Profile("Айгүл", "Сейітова", email, null));
        db.Users.Add(account);
        services.GetRequiredService<ConsentLedger>().Record(account.Id, ConsentPurpose.Processing, true, 1, "kk", "processing");

        var storageName = Guid.NewGuid().ToString("N");
        await services.GetRequiredService<IDocumentStore>().PutAsync(storageName, vault.Seal(account.Id, "document", "scan bytes"u8), CancellationToken.None);
        var documentId = Guid.NewGuid();
        db.Documents.Add(new CustomerDocument
        {
            Id = documentId,
            AccountId = account.Id,
            StorageName = storageName,
            SealedOriginalName = vault.Seal(account.Id, "document-name", "passport.pdf"),
            ContentType = "application/pdf",
            Size = 10,
            Sha256 = new string('0', 64),
            Status = document,
            UploadedAt = registered,
            ReviewDueAt = registered + TimeSpan.FromDays(1),
            ReviewedAt = reviewedAgo is { } ago ? now - ago : null,
            Rejection = document == DocumentStatus.Rejected ? RejectionReason.Unreadable : null,
            SealedNote = document == DocumentStatus.Rejected ? vault.Seal(account.Id, "note", "the photo is blurred") : null,
        });

        var sessionId = Guid.NewGuid();
        var lastSeen = now - (sessionAgo ?? TimeSpan.FromMinutes(5));
        db.Sessions.Add(new UserSession { Id = sessionId, AccountId = account.Id, CreatedAt = lastSeen - TimeSpan.FromMinutes(30), LastSeenAt = lastSeen, EndedAt = lastSeen, UserAgent = "Mozilla/5.0 (Android)", Ip = "203.0.113.7" });
        db.AppTokens.Add(new Derbes.Web.Api.AppToken { SessionId = sessionId, Kind = default, TokenHash = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), SecurityStamp = account.SecurityStamp!, IssuedAt = lastSeen, ExpiresAt = lastSeen + TimeSpan.FromDays(30) });
        await db.SaveChangesAsync();
        return new RetainedCustomer(account.Id, email, documentId, storageName, sessionId);
    }

    /// <summary>
    /// Whether the customer is wholly there (account, key, document, file, session, token) or wholly destroyed (a
    /// stub, the key destroyed, no document, file or session); anything in between fails.
    /// </summary>
    public static async Task<bool> WholeOrDestroyedAsync(DerbesApp app, RetainedCustomer customer)
    {
        var account = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.Id == customer.Id));
        var key = await app.WithDbAsync(db => db.DataKeys.AsNoTracking().SingleAsync(k => k.AccountId == customer.Id));
        var documents = await app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == customer.Id));
        var sessions = await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == customer.Id));
        var tokens = await app.WithDbAsync(db => db.AppTokens.CountAsync(t => t.SessionId == customer.SessionId));
        var file = await app.Service<IDocumentStore>().GetAsync(customer.StorageName, CancellationToken.None);
        var queued = await app.WithDbAsync(db => db.StoreDeletions.AnyAsync(d => d.StorageName == customer.StorageName));
        var whole = account.Status != AccountStatus.Destroyed && account.SealedEmail.Length > 0 && key.WrappedKey is not null
            && documents == 1 && file is not null && !queued && sessions == 1 && tokens == 1;
        var destroyed = account.Status == AccountStatus.Destroyed && account.SealedEmail.Length == 0 && account.UserName is null
            && key.WrappedKey is null && documents == 0 && sessions == 0 && tokens == 0 && (file is null || queued);
        return whole ^ destroyed;
    }

    public static Task<RetentionRunRecord?> RunAsync(DerbesApp app, Action<RetentionCategory>? afterEach = null, CancellationToken cancellationToken = default) =>
        app.Service<RetentionRun>().RunNowAsync("test", afterEach, cancellationToken);

    public static Task<Dictionary<RetentionCategory, RetentionRunCount>> CountsAsync(DerbesApp app, long runId) =>
        app.WithDbAsync(db => db.RetentionRunCounts.AsNoTracking().Where(c => c.RunId == runId).ToDictionaryAsync(c => c.Category));
}

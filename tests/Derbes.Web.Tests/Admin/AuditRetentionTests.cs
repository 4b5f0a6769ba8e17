using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Security;
using Derbes.Web.Startup;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// The audit trail's retention (issue 4): entries older than <c>Audit:Retention</c> are removed behind a signed
/// checkpoint, and verify-audit still proves the rest intact, and still catches an edited entry, an edited,
/// forged or deleted checkpoint and a purged entry put back.
/// </summary>
public sealed partial class AuditRetentionTests
{
    private static readonly TimeSpan PastRetention = TimeSpan.FromDays(1095 + 1);

    [Fact]
    public async Task EntriesOlderThanTheRetentionArePurgedBehindASignedCheckpointAndTheTrailStillVerifies()
    {
        // The trail is counted entry by entry: the customer's sign-in history outlives the three years here, so the
        // daily retention run (which looks when the clock moves) adds no entry of its own.
        using var app = new DerbesApp(new() { ["Retention:SignInHistory"] = "3650.00:00:00" });
        NewCustomer customer;
        using (var browser = app.NewBrowser())
        {
            customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
            await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        }
        var customerId = await CustomerIdAsync(app, customer);
        var old = await EntriesAsync(app);
        Assert.Contains(old, e => e.Subject == customerId);

        // A day short of three years: nothing goes.
        app.Clock.Advance(PastRetention - TimeSpan.FromDays(2));
        await PurgeAllAsync(app);
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditCheckpoints.CountAsync()));
        Assert.Equal(old.Count, await app.WithDbAsync(db => db.AuditEntries.CountAsync()));

        // Past three years (the job's daily run may get there first; either way it happens once).
        app.Clock.Advance(TimeSpan.FromDays(2));
        await PurgeAllAsync(app);
        var checkpoint = await app.WithDbAsync(db => db.AuditCheckpoints.AsNoTracking().SingleAsync());
        Assert.Equal(old[0].Id, checkpoint.FirstPurgedId);
        Assert.Equal(old[^1].Id, checkpoint.LastPurgedId);
        Assert.Equal(HashChain.Genesis, checkpoint.FirstPurgedPreviousHash);
        Assert.Equal(old[^1].Hash, checkpoint.LastPurgedHash);
        Assert.Equal(old.Count, checkpoint.PurgedCount);
        Assert.Equal(old.Min(e => e.At), checkpoint.PurgedFrom);
        Assert.Equal(old.Max(e => e.At), checkpoint.PurgedTo);
        Assert.Equal("m1", checkpoint.KeyId);

        // Every old entry went; what remains is the purge's own entry, by the system, with counts and ids only,
        // linked to the checkpoint (no older entry was left to link to).
        var remaining = await EntriesAsync(app);
        var purge = Assert.Single(remaining);
        Assert.Equal("audit.purged", purge.Action);
        Assert.Equal("system", purge.Actor);
        Assert.Equal("system", purge.Role);
        Assert.Equal($"checkpoint:{checkpoint.Id}", purge.Subject);
        Assert.Equal($"purged:{old.Count}", purge.Outcome);
        Assert.Equal("", purge.Ip);
        Assert.Equal(checkpoint.LastPurgedHash, purge.PreviousHash);
        var purgeText = string.Join("|", purge.Actor, purge.Role, purge.Action, purge.Subject, purge.Outcome, purge.Ip, purge.CorrelationId);
        Assert.DoesNotContain(customerId, purgeText, StringComparison.Ordinal);
        Assert.DoesNotContain(customer.Email, purgeText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(customer.PhoneE164[1..], purgeText, StringComparison.Ordinal);

        var (code, output) = await VerifyAsync(app);
        Assert.Equal(0, code);
        Assert.Contains($"audit trail: intact (1 entries after checkpoint {checkpoint.Id} signed by key m1 at ", output, StringComparison.Ordinal);
        Assert.Contains($"{old.Count} older entries purged up to entry {old[^1].Id} behind 1 checkpoints", output, StringComparison.Ordinal);

        // An auditor given the printed public key checks the signature without any secret.
        var publicKey = PublicKeyLine().Match(output);
        Assert.True(publicKey.Success, output);
        Assert.Equal(app.Service<CheckpointSigner>().PublicKeyHex("m1"), publicKey.Groups[1].Value);
        Assert.True(Geralt.Ed25519.Verify(
            Convert.FromHexString(checkpoint.Signature), Encoding.UTF8.GetBytes(checkpoint.SignedContent()), Convert.FromHexString(publicKey.Groups[1].Value)));

        // Life goes on after the purge, and the PrivacyOfficer's check says what the command says.
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using var staff = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, staff, officer);
        var page = await staff.GetAsync("/admin/audit");
        Assert.Equal(publicKey.Groups[1].Value, page.Document.GetElementById("checkpoint-key")?.TextContent);
        var checkedPage = await staff.SubmitAsync(page, formSelector: "main form[action*='handler=verify']");
        // The check counted every entry but its own "audit.verified".
        var counted = await app.WithDbAsync(db => db.AuditEntries.CountAsync()) - 1;
        var consents = await app.WithDbAsync(db => db.ConsentRecords.CountAsync());
        var when = checkpoint.At.ToOffset(TimeSpan.FromHours(5)).ToString("dd.MM.yyyy HH:mm:ss", CultureInfo.InvariantCulture);
        var alert = checkedPage.Document.QuerySelector("main p.alert.success");
        Assert.NotNull(alert);
        Assert.Equal(app.Text("Audit.IntactAfterCheckpoint", counted, checkpoint.Id, "m1", when, old.Count, consents), alert.TextContent.Trim());
        Assert.Equal(0, (await VerifyAsync(app)).Code);
    }

    [Fact]
    public async Task AnEntryEditedAfterThePurgeIsStillCaught()
    {
        using var app = new DerbesApp();
        await RecordAsync(app, 6);
        app.Clock.Advance(PastRetention);
        await PurgeAllAsync(app);
        await RecordAsync(app, 3);
        var after = await EntriesAsync(app);
        Assert.Equal(4, after.Count);
        Assert.Equal(0, (await VerifyAsync(app)).Code);

        var victim = after[2].Id;
        await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Id == victim).ExecuteUpdateAsync(s => s.SetProperty(e => e.Role, "PrivacyOfficer")));
        var (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at entry {victim} (after 2 intact entries after checkpoint ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEditedOrForgedCheckpointIsCaught()
    {
        using var app = new DerbesApp();
        await RecordAsync(app, 5);
        app.Clock.Advance(PastRetention);
        await PurgeAllAsync(app);
        var original = await app.WithDbAsync(db => db.AuditCheckpoints.AsNoTracking().SingleAsync());
        var first = (await EntriesAsync(app))[0];
        var otherHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("someone else's chain"u8));

        // The hash the remaining entries link to, moved to hide a rewritten stretch: the signature no longer
        // covers it, and the first entry no longer follows.
        await EditCheckpointAsync(app, original.Id, c => c.LastPurgedHash = otherHash);
        var (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at checkpoint {original.Id} (its signature does not verify: edited or forged); and at entry {first.Id}", output, StringComparison.Ordinal);

        // Fewer entries claimed to have been purged.
        await EditCheckpointAsync(app, original.Id, c => c.PurgedCount = 1);
        Assert.Contains($"audit trail: BROKEN at checkpoint {original.Id} (its signature does not verify", (await VerifyAsync(app)).Output, StringComparison.Ordinal);

        // A signature that is not the key's.
        var forged = original.Signature[..^2] + (original.Signature[^2..] == "00" ? "01" : "00");
        await EditCheckpointAsync(app, original.Id, c => c.Signature = forged);
        Assert.Contains($"audit trail: BROKEN at checkpoint {original.Id} (its signature does not verify", (await VerifyAsync(app)).Output, StringComparison.Ordinal);

        // Signed, it claims, by a key nobody holds.
        await EditCheckpointAsync(app, original.Id, c => c.KeyId = "m9");
        Assert.Contains($"audit trail: BROKEN at checkpoint {original.Id} (signed with a key the key file does not hold)", (await VerifyAsync(app)).Output, StringComparison.Ordinal);
        // The PrivacyOfficer's check names the checkpoint too.
        var officer = await StaffJourneys.CreateAsync(app, StaffRoles.PrivacyOfficer);
        using (var staff = app.NewBrowser())
        {
            await StaffJourneys.SignInAsync(app, staff, officer);
            var checkedPage = await staff.SubmitAsync(await staff.GetAsync("/admin/audit"), formSelector: "main form[action*='handler=verify']");
            Assert.Equal(app.Text("Audit.BrokenCheckpoint", original.Id, "—", "—"), checkedPage.Document.QuerySelector("main p.alert.error")?.TextContent.Trim());
        }

        // Put back as it was, it holds again: each failure above was the edit's.
        await EditCheckpointAsync(app, original.Id, _ => { });
        Assert.Equal(0, (await VerifyAsync(app)).Code);

        async Task EditCheckpointAsync(DerbesApp app, long id, Action<AuditCheckpoint> edit)
        {
            var changed = new AuditCheckpoint
            {
                LastPurgedHash = original.LastPurgedHash,
                PurgedCount = original.PurgedCount,
                Signature = original.Signature,
                KeyId = original.KeyId,
            };
            edit(changed);
            await app.WithDbAsync(db => db.AuditCheckpoints.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.LastPurgedHash, changed.LastPurgedHash)
                .SetProperty(c => c.PurgedCount, changed.PurgedCount)
                .SetProperty(c => c.Signature, changed.Signature)
                .SetProperty(c => c.KeyId, changed.KeyId)));
        }
    }

    [Fact]
    public async Task OldEntriesGoInBatchesEachBehindItsOwnCheckpointAndRunsAtOnceNeverCheckpointTwice()
    {
        using var app = new DerbesApp(new() { ["Audit:PurgeBatchSize"] = "4" });
        await RecordAsync(app, 18);
        var old = await EntriesAsync(app);
        app.Clock.Advance(PastRetention);

        // Three runs at once (and the job's own): the chain lock lets one batch through at a time.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => PurgeAllAsync(app))));

        var checkpoints = await app.WithDbAsync(db => db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Id).ToListAsync());
        Assert.Equal((old.Count + 3) / 4, checkpoints.Count);
        Assert.Equal(old.Count, checkpoints.Sum(c => c.PurgedCount));
        Assert.Equal(HashChain.Genesis, checkpoints[0].FirstPurgedPreviousHash);
        Assert.Equal(old[0].Id, checkpoints[0].FirstPurgedId);
        for (var i = 1; i < checkpoints.Count; i++)
        {
            Assert.Equal(checkpoints[i - 1].LastPurgedHash, checkpoints[i].FirstPurgedPreviousHash);
            Assert.True(checkpoints[i].FirstPurgedId > checkpoints[i - 1].LastPurgedId);
        }
        Assert.Equal(old[^1].Id, checkpoints[^1].LastPurgedId);
        var purges = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Action == "audit.purged").OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(checkpoints.Select(c => $"checkpoint:{c.Id}"), purges.Select(e => e.Subject));

        var (code, output) = await VerifyAsync(app);
        Assert.Equal(0, code);
        Assert.Contains($"audit trail: intact ({purges.Count} entries after checkpoint {checkpoints[^1].Id} signed by key m1", output, StringComparison.Ordinal);
        Assert.Contains($"{old.Count} older entries purged up to entry {old[^1].Id} behind {checkpoints.Count} checkpoints", output, StringComparison.Ordinal);

        // Three years on, the purge entries go too, behind a checkpoint that follows the last one.
        app.Clock.Advance(PastRetention);
        await PurgeAllAsync(app);
        var later = await app.WithDbAsync(db => db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Id).Skip(checkpoints.Count).ToListAsync());
        Assert.NotEmpty(later);
        Assert.Equal(checkpoints[^1].LastPurgedHash, later[0].FirstPurgedPreviousHash);
        Assert.Equal(0, (await VerifyAsync(app)).Code);
    }

    [Fact]
    public async Task ADeletedCheckpointIsCaught()
    {
        using var app = new DerbesApp(new() { ["Audit:PurgeBatchSize"] = "2" });
        await RecordAsync(app, 6);
        app.Clock.Advance(PastRetention);
        await PurgeAllAsync(app);
        var checkpoints = await app.WithDbAsync(db => db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.Id).ToListAsync());
        Assert.Equal(3, checkpoints.Count);
        var firstRemaining = (await EntriesAsync(app))[0].Id;
        Assert.Equal(0, (await VerifyAsync(app)).Code);

        // One from the middle: the next one no longer starts where the one before it ended.
        await DeleteAsync(checkpoints[1]);
        var (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at checkpoint {checkpoints[2].Id} (it does not start where the checkpoint before it ended", output, StringComparison.Ordinal);
        await RestoreAsync(checkpoints[1]);
        Assert.Equal(0, (await VerifyAsync(app)).Code);

        // The latest: the first remaining entry links to a hash that no remaining checkpoint ends with.
        await DeleteAsync(checkpoints[2]);
        (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at entry {firstRemaining} ", output, StringComparison.Ordinal);

        // All of them: the first remaining entry does not start from the genesis hash.
        await app.WithDbAsync(db => db.AuditCheckpoints.ExecuteDeleteAsync());
        (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at entry {firstRemaining} (after 0 intact entries)", output, StringComparison.Ordinal);

        Task<int> DeleteAsync(AuditCheckpoint checkpoint) =>
            app.WithDbAsync(db => db.AuditCheckpoints.Where(c => c.Id == checkpoint.Id).ExecuteDeleteAsync());
        Task<int> RestoreAsync(AuditCheckpoint checkpoint) =>
            app.WithDbAsync(db =>
            {
                db.AuditCheckpoints.Add(checkpoint);
                return db.SaveChangesAsync();
            });
    }

    [Fact]
    public async Task APurgedEntryPutBackOrEveryEntryAfterTheCheckpointRemovedIsCaught()
    {
        using var app = new DerbesApp();
        await RecordAsync(app, 4);
        var old = await EntriesAsync(app);
        app.Clock.Advance(PastRetention);
        await PurgeAllAsync(app);
        var checkpoint = await app.WithDbAsync(db => db.AuditCheckpoints.AsNoTracking().SingleAsync());

        // A purged entry restored from a backup: it sits before the checkpoint's end.
        // Below the application (its saves would re-link the entry), exactly as it was.
        var back = old[^1];
        var at = app.OnPostgres ? (object)back.At : back.At.UtcTicks;
        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"""
            INSERT INTO "AuditEntries" ("Id", "At", "Actor", "Role", "Action", "Subject", "Outcome", "CorrelationId", "Ip", "PreviousHash", "Hash")
            VALUES ({back.Id}, {at}, {back.Actor}, {back.Role}, {back.Action}, {back.Subject}, {back.Outcome}, {back.CorrelationId}, {back.Ip}, {back.PreviousHash}, {back.Hash})
            """));
        var (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at entry {back.Id} ", output, StringComparison.Ordinal);
        await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Id == back.Id).ExecuteDeleteAsync());
        Assert.Equal(0, (await VerifyAsync(app)).Code);

        // Everything after the checkpoint removed, its own purge entry included.
        await app.WithDbAsync(db => db.AuditEntries.ExecuteDeleteAsync());
        (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at checkpoint {checkpoint.Id} (no entry follows it", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABrokenChainIsNeverPurgedSoTheEvidenceStays()
    {
        using var app = new DerbesApp();
        await RecordAsync(app, 5);
        var old = await EntriesAsync(app);
        await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Id == old[2].Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Outcome, "nothing happened")));
        app.Clock.Advance(PastRetention);

        Assert.Equal(0, await PurgeAllAsync(app));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditCheckpoints.CountAsync()));
        Assert.Equal(old.Count, await app.WithDbAsync(db => db.AuditEntries.CountAsync()));
        var (code, output) = await VerifyAsync(app);
        Assert.Equal(1, code);
        Assert.Contains($"audit trail: BROKEN at entry {old[2].Id} (after 2 intact entries)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARetentionChangedInTheConfigurationWhileTheSiteRunsAppliesToTheNextPurge()
    {
        using var app = new DerbesApp();
        await RecordAsync(app, 3);
        app.Clock.Advance(TimeSpan.FromDays(400));
        Assert.Equal(0, await PurgeAllAsync(app));

        // As the settings page will: through the configuration, read again by IOptionsMonitor.
        var configuration = (IConfigurationRoot)app.Service<IConfiguration>();
        configuration["Audit:Retention"] = "365.00:00:00";
        configuration.Reload();
        Assert.Equal(TimeSpan.FromDays(365), app.Service<IOptionsMonitor<AuditOptions>>().CurrentValue.Retention);

        await PurgeAllAsync(app);
        Assert.Equal(3, await app.WithDbAsync(db => db.AuditCheckpoints.SumAsync(c => c.PurgedCount)));
        Assert.Equal(0, (await VerifyAsync(app)).Code);
    }

    [Fact]
    public void ARetentionUnderAYearIsRefusedAtStart()
    {
        using var app = new DerbesApp(new() { ["Audit:Retention"] = "180.00:00:00" });
        var error = Assert.ThrowsAny<Exception>(() => app.Services);
        var validation = Flatten(error).OfType<OptionsValidationException>().FirstOrDefault();
        Assert.NotNull(validation);
        Assert.Contains("Audit:Retention", validation.Message, StringComparison.Ordinal);

        static IEnumerable<Exception> Flatten(Exception e) =>
            e is AggregateException aggregate
                ? aggregate.InnerExceptions.SelectMany(Flatten).Prepend(e)
                : e.InnerException is { } inner ? Flatten(inner).Prepend(e) : [e];
    }

    [Fact]
    [Trait("Database", "Postgres")]
    public async Task OnPostgresAPurgeWaitsForTheChainLockThatEveryInstanceTakes()
    {
        if (TestDatabase.PostgresServer is null)
        {
            throw new InvalidOperationException($"This test needs a PostgreSQL server: set {TestDatabase.Variable} (./test.sh starts one and does).");
        }
        using var app = new DerbesApp();
        await RecordAsync(app, 3);

        // Another instance holds the chain lock (linking an entry, or purging) in an open transaction, from before
        // the entries are due (so this instance's own job, woken by the clock, meets the lock too).
        await using var other = new NpgsqlConnection(app.Database);
        await other.OpenAsync();
        var transaction = await other.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresDerbesDb.ChainLockKey})", other, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }
        app.Clock.Advance(PastRetention);
        var purge = PurgeAllAsync(app);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(purge.IsCompleted);
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditCheckpoints.CountAsync()));

        await transaction.CommitAsync();
        await purge;
        Assert.Equal(3, await app.WithDbAsync(db => db.AuditCheckpoints.SumAsync(c => c.PurgedCount)));
        Assert.Equal(0, (await VerifyAsync(app)).Code);
    }

    /// <summary>Runs the retention job until nothing is left to purge; returns how many entries this caller removed.</summary>
    private static async Task<int> PurgeAllAsync(DerbesApp app)
    {
        var retention = app.Service<AuditRetention>();
        var total = 0;
        int purged;
        while ((purged = await retention.PurgeDueAsync(CancellationToken.None)) > 0)
        {
            total += purged;
        }
        return total;
    }

    /// <summary>Entries as a background job writes them (no request, so the actor and role are "system").</summary>
    private static Task<int> RecordAsync(DerbesApp app, int count) =>
        app.WithDbAsync(db =>
        {
            var audit = new AuditTrail(db, new HttpContextAccessor(), app.Clock);
            for (var i = 0; i < count; i++)
            {
                audit.Record("test.entry", "subject-" + i.ToString(CultureInfo.InvariantCulture));
            }
            return db.SaveChangesAsync();
        });

    private static Task<List<AuditEntry>> EntriesAsync(DerbesApp app) =>
        app.WithDbAsync(db => db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).ToListAsync());

    private static Task<string> CustomerIdAsync(DerbesApp app, NewCustomer customer)
    {
        var index = app.Service<BlindIndex>().Email(customer.Email);
        return app.WithDbAsync(async db => (await db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync()).ToString());
    }

    private static async Task<(int Code, string Output)> VerifyAsync(DerbesApp app)
    {
        var output = new StringWriter();
        var code = await Commands.VerifyAuditAsync(app.Services, output, CancellationToken.None);
        return (code, output.ToString());
    }

    [GeneratedRegex(@"audit checkpoint key m1: ed25519 public key ([0-9a-f]{64})")]
    private static partial Regex PublicKeyLine();
}

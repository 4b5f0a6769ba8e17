using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Startup;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Derbes.Web.Tests.Scale;

/// <summary>
/// Across instances the audit trail is linked under PostgreSQL's advisory lock, taken in the same round trip as the
/// chain's head is read. The head must be read after the lock is granted: an entry another instance commits while
/// this one waits is the one the next entry links to. (The in-process lock is shared by every app in a test process,
/// so here the other instance is a plain connection doing what an instance does.)
/// </summary>
[Trait("Database", "Postgres")]
public sealed class ChainLockTests
{
    [Fact]
    public async Task AnAuditedSaveWaitsForAnotherInstanceHoldingTheChainLockAndLinksAfterItsEntry()
    {
        if (TestDatabase.PostgresServer is null)
        {
            throw new InvalidOperationException($"This test needs a PostgreSQL server: set {TestDatabase.Variable} (./test.sh starts one and does).");
        }
        using var app = new DerbesApp(new() { ["Outbox:Enabled"] = "false" });
        Task<int> SaveAsync(string action) => app.WithDbAsync(db =>
        {
            new AuditTrail(db, new Microsoft.AspNetCore.Http.HttpContextAccessor(), app.Clock).Record(action, "chain");
            return db.SaveChangesAsync();
        });
        await SaveAsync("test.before-other-instance");

        await using var other = new NpgsqlConnection(app.Database);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresDerbesDb.ChainLockKey})", other, transaction))
        {
            await take.ExecuteNonQueryAsync();
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var save = Task.Run(() => SaveAsync("test.after-other-instance"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(save.IsCompleted, $"the save went ahead while another instance held the chain lock ({started.ElapsedMilliseconds} ms)");

        // The other instance links its entry to the head it reads under the lock, and commits.
        string head;
        await using (var read = new NpgsqlCommand("""SELECT "Hash" FROM "AuditEntries" ORDER BY "Id" DESC LIMIT 1""", other, transaction))
        {
            head = (string?)await read.ExecuteScalarAsync() ?? HashChain.Genesis;
        }
        var entry = new AuditEntry
        {
            At = HashChain.StorablePrecision(app.Clock.GetUtcNow()),
            Actor = "other-instance",
            Action = "test.other-instance",
            Subject = "chain",
            PreviousHash = head,
        };
        entry.Hash = HashChain.Link(head, entry.CanonicalContent());
        long otherId;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO "AuditEntries" ("At", "Actor", "Role", "Action", "Subject", "Outcome", "CorrelationId", "Ip", "PreviousHash", "Hash")
            VALUES (@at, @actor, '', @action, @subject, '', '', '', @previous, @hash) RETURNING "Id"
            """, other, transaction))
        {
            insert.Parameters.AddWithValue("at", entry.At);
            insert.Parameters.AddWithValue("actor", entry.Actor);
            insert.Parameters.AddWithValue("action", entry.Action);
            insert.Parameters.AddWithValue("subject", entry.Subject);
            insert.Parameters.AddWithValue("previous", entry.PreviousHash);
            insert.Parameters.AddWithValue("hash", entry.Hash);
            otherId = (long)(await insert.ExecuteScalarAsync())!;
        }
        await transaction.CommitAsync();
        await save;

        var ours = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "test.after-other-instance"));
        Assert.True(ours.Id > otherId);
        var verified = new StringWriter();
        Assert.Equal(0, await Commands.VerifyAuditAsync(app.Services, verified, CancellationToken.None));
        Assert.Contains("audit trail: intact", verified.ToString(), StringComparison.Ordinal);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage;

namespace Derbes.Web.Data;

/// <summary>
/// The PostgreSQL flavour, for several instances on one database: its own migrations (Data/Migrations/Postgres),
/// native timestamptz, and database-wide locks where one process's lock is not enough.
/// </summary>
public sealed class PostgresDerbesDb(DbContextOptions<PostgresDerbesDb> options) : DerbesDb(options)
{
    // Advisory lock keys (any two fixed 64-bit numbers, the same in every instance).
    internal const long ChainLockKey = 0x44_65_72_62_65_73_01; // "Derbes" + 1
    private const long StartupLockKey = 0x44_65_72_62_65_73_02;
    private static readonly string LockChainsSql = FormattableString.Invariant($"SELECT pg_advisory_xact_lock({ChainLockKey})");

    /// <summary>Every instance links audit and consent chains one at a time; the lock ends with the transaction.</summary>
    protected override async Task LockChainsAsync(CancellationToken cancellationToken) =>
        await Database.ExecuteSqlRawAsync(LockChainsSql, cancellationToken);

    /// <summary>
    /// The lock and the heads in one round trip: one batch whose statements run in order, each with its own snapshot
    /// (READ COMMITTED), so the heads are read after the lock is granted and see every entry committed before it.
    /// (One statement could not do both: its snapshot would be taken before it waited for the lock.)
    /// </summary>
    protected override async Task<(string? Audit, string? Consents)> ReadChainHeadsAsync(bool audit, bool consents, bool lockFirst, CancellationToken cancellationToken)
    {
        var transaction = Database.CurrentTransaction?.GetDbTransaction() as Npgsql.NpgsqlTransaction
            ?? throw new InvalidOperationException("The chains' heads are read inside the chain's transaction.");
        await using var batch = new Npgsql.NpgsqlBatch(transaction.Connection, transaction);
        if (lockFirst)
        {
            batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand(LockChainsSql));
        }
        if (audit)
        {
            // After a purge that left no entry, the trail goes on from the latest checkpoint's last purged hash.
            batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand("""
                SELECT COALESCE(
                    (SELECT "Hash" FROM "AuditEntries" ORDER BY "Id" DESC LIMIT 1),
                    (SELECT "LastPurgedHash" FROM "AuditCheckpoints" ORDER BY "Id" DESC LIMIT 1))
                """));
        }
        if (consents)
        {
            batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand("""SELECT "Hash" FROM "ConsentRecords" ORDER BY "Id" DESC LIMIT 1"""));
        }
        if (batch.BatchCommands.Count == 0)
        {
            return (null, null);
        }
        string? auditTail = null, consentTail = null;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (lockFirst)
        {
            await reader.NextResultAsync(cancellationToken);
        }
        if (audit)
        {
            auditTail = await HeadAsync(reader, cancellationToken);
            await reader.NextResultAsync(cancellationToken);
        }
        if (consents)
        {
            consentTail = await HeadAsync(reader, cancellationToken);
        }
        return (auditTail, consentTail);

        static async Task<string?> HeadAsync(Npgsql.NpgsqlDataReader reader, CancellationToken cancellationToken) =>
            await reader.ReadAsync(cancellationToken) && !await reader.IsDBNullAsync(0, cancellationToken) ? reader.GetString(0) : null;
    }

    /// <summary>Instances starting together migrate and seed one after the other.</summary>
    public override async Task<IAsyncDisposable> LockStartupAsync(CancellationToken cancellationToken)
    {
        await Database.OpenConnectionAsync(cancellationToken);
        await Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({StartupLockKey})", cancellationToken);
        return new StartupLock(this);
    }

    /// <summary>
    /// Claims due messages with <c>FOR UPDATE SKIP LOCKED</c>: instances draining at once take disjoint rows
    /// without waiting for each other.
    /// </summary>
    public override async Task<List<long>> ClaimOutboxAsync(DateTimeOffset now, int batchSize, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        await Database.SqlQuery<long>($"""
            UPDATE "Outbox" SET "LeaseOwner" = {leaseOwner}, "LeaseUntil" = {leaseUntil}
            WHERE "Id" IN (
                SELECT "Id" FROM "Outbox"
                WHERE "SentAt" IS NULL AND "AvailableAt" <= {now} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                ORDER BY "Id"
                LIMIT {batchSize}
                FOR UPDATE SKIP LOCKED)
            RETURNING "Id" AS "Value"
            """).ToListAsync(cancellationToken);

    /// <summary>A binary COPY into the outbox, in the current transaction: a campaign's million rows in seconds.</summary>
    public override async Task InsertOutboxAsync(IReadOnlyList<Messaging.OutboxMessage> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }
        var connection = (Npgsql.NpgsqlConnection)Database.GetDbConnection();
        await Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                """COPY "Outbox" ("AccountId", "Channel", "Kind", "Reference", "CreatedAt", "AvailableAt", "Attempts") FROM STDIN (FORMAT BINARY)""", cancellationToken);
            foreach (var row in rows)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(row.AccountId, NpgsqlTypes.NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync((int)row.Channel, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(row.Kind, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(row.Reference, NpgsqlTypes.NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(row.CreatedAt, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(row.AvailableAt, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(row.Attempts, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        finally
        {
            await Database.CloseConnectionAsync();
        }
    }

    /// <summary>One round trip: start the window or count in it, atomically, whichever instance asks.</summary>
    public override async Task<int> CountRequestAsync(string key, DateTimeOffset windowStart, CancellationToken cancellationToken) =>
        (await Database.SqlQuery<int>($"""
            INSERT INTO "RateCounters" ("Key", "WindowStart", "Count") VALUES ({key}, {windowStart}, 1)
            ON CONFLICT ("Key") DO UPDATE SET
                "Count" = CASE WHEN "RateCounters"."WindowStart" = EXCLUDED."WindowStart" THEN "RateCounters"."Count" + 1 ELSE 1 END,
                "WindowStart" = EXCLUDED."WindowStart"
            RETURNING "Count" AS "Value"
            """).ToListAsync(cancellationToken)).Single();

    private sealed class StartupLock(PostgresDerbesDb db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({StartupLockKey})");
            await db.Database.CloseConnectionAsync();
        }
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL context without a server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDerbesDb>
{
    public PostgresDerbesDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDerbesDb>().UseNpgsql("Host=localhost;Database=derbes_design").Options);
}

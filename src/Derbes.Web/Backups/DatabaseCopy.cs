using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Derbes.Web.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Derbes.Web.Backups;

/// <summary>A consistent copy of the database taken for an archive: the file, and what it held.</summary>
public sealed record DatabaseSnapshot(string File, IReadOnlyDictionary<string, long> Tables, IReadOnlyList<string> StorageNames, string? Migration);

/// <summary>
/// Copies a database out and back in with the provider's own tools, without the customers' data keys: SQLite by
/// <c>VACUUM INTO</c> (a consistent snapshot while the site keeps writing), PostgreSQL by <c>pg_dump</c> in a snapshot
/// exported from a transaction that also counts every table, so the counts in the manifest are those of the dump.
/// </summary>
public abstract class DatabaseCopy
{
    public const string KeysTable = "DataKeys";

    /// <summary>The name of the database inside the archive.</summary>
    public abstract string EntryName { get; }

    public abstract DatabaseProvider Provider { get; }

    public static DatabaseCopy For(DatabaseProvider provider, string? postgresBin) =>
        provider == DatabaseProvider.Postgres ? new PostgresCopy(postgresBin) : new SqliteCopy();

    /// <summary>Copies <paramref name="connectionString"/>'s database into a file under <paramref name="workDirectory"/>.</summary>
    public abstract Task<DatabaseSnapshot> SnapshotAsync(string connectionString, string workDirectory, IReadOnlyList<(string Table, string Column)> storageColumns, CancellationToken cancellationToken);

    /// <summary>True when the database holds no table at all (restore goes only into an empty database).</summary>
    public abstract Task<bool> IsEmptyAsync(string connectionString, CancellationToken cancellationToken);

    /// <summary>Loads a database file of <see cref="SnapshotAsync"/> into the empty database <paramref name="connectionString"/>.</summary>
    public abstract Task LoadAsync(string connectionString, string file, CancellationToken cancellationToken);

    /// <summary>The number of rows of every table.</summary>
    public async Task<Dictionary<string, long>> CountAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = Connect(connectionString);
        await connection.OpenAsync(cancellationToken);
        return await CountTablesAsync(connection, cancellationToken);
    }

    /// <summary>A context of the site's model over another database (a restore target, a temporary one).</summary>
    public abstract DerbesDb Context(string connectionString);

    protected abstract DbConnection Connect(string connectionString);

    protected abstract string TablesQuery { get; }

    protected async Task<Dictionary<string, long>> CountTablesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = TablesQuery;
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables.Order(StringComparer.Ordinal))
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            counts[table] = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }
        return counts;
    }

    protected static async Task<List<string>> StorageNamesAsync(DbConnection connection, IReadOnlyList<(string Table, string Column)> columns, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var (table, column) in columns)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT \"{column}\" FROM \"{table}\" WHERE \"{column}\" <> ''";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        return names;
    }

    protected static async Task<string?> MigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(\"MigrationId\") FROM \"__EFMigrationsHistory\"";
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private sealed class SqliteCopy : DatabaseCopy
    {
        public override string EntryName => "database/derbes.sqlite";

        public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

        protected override string TablesQuery => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";

        protected override DbConnection Connect(string connectionString) => new SqliteConnection(Unpooled(connectionString));

        private static string Unpooled(string connectionString) =>
            new SqliteConnectionStringBuilder(connectionString) { Pooling = false, DefaultTimeout = 30 }.ToString();

        private static string PathOf(string connectionString) => Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource);

        public override async Task<DatabaseSnapshot> SnapshotAsync(string connectionString, string workDirectory, IReadOnlyList<(string Table, string Column)> storageColumns, CancellationToken cancellationToken)
        {
            var file = Path.Combine(workDirectory, "derbes.sqlite");
            await using (var source = Connect(connectionString))
            {
                await source.OpenAsync(cancellationToken);
                await using var vacuum = source.CreateCommand();
                // One read transaction: the copy is the database as of one moment, while writers go on in the WAL.
                vacuum.CommandText = "VACUUM INTO $file";
                vacuum.Parameters.Add(new SqliteParameter("$file", file));
                await vacuum.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var copy = Connect($"Data Source={file}");
            await copy.OpenAsync(cancellationToken);
            await using (var strip = copy.CreateCommand())
            {
                // The keys leave the copy with their pages overwritten, not merely unlinked from the b-tree.
                strip.CommandText = $"PRAGMA journal_mode = DELETE; PRAGMA secure_delete = ON; DELETE FROM \"{KeysTable}\";";
                await strip.ExecuteNonQueryAsync(cancellationToken);
            }
            var tables = await CountTablesAsync(copy, cancellationToken);
            var names = await StorageNamesAsync(copy, storageColumns, cancellationToken);
            var migration = await MigrationAsync(copy, cancellationToken);
            return new DatabaseSnapshot(file, tables, names, migration);
        }

        public override async Task<bool> IsEmptyAsync(string connectionString, CancellationToken cancellationToken)
        {
            var path = PathOf(connectionString);
            if (!File.Exists(path) || new FileInfo(path).Length == 0)
            {
                return true;
            }
            await using var connection = Connect(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'";
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0;
        }

        public override Task LoadAsync(string connectionString, string file, CancellationToken cancellationToken)
        {
            var path = PathOf(connectionString);
            SqliteConnection.ClearAllPools();
            foreach (var leftover in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
            {
                File.Delete(leftover);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(file, path);
            return Task.CompletedTask;
        }

        public override DerbesDb Context(string connectionString) =>
            new SqliteDerbesDb(new DbContextOptionsBuilder<SqliteDerbesDb>()
                .UseSqlite(Unpooled(connectionString))
                .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning))
                .Options);
    }

    private sealed class PostgresCopy(string? bin) : DatabaseCopy
    {
        public override string EntryName => "database/derbes.pgdump";

        public override DatabaseProvider Provider => DatabaseProvider.Postgres;

        protected override string TablesQuery => "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()";

        protected override DbConnection Connect(string connectionString) => new NpgsqlConnection(connectionString);

        public override async Task<DatabaseSnapshot> SnapshotAsync(string connectionString, string workDirectory, IReadOnlyList<(string Table, string Column)> storageColumns, CancellationToken cancellationToken)
        {
            var file = Path.Combine(workDirectory, "derbes.pgdump");
            await using var connection = Connect(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            string snapshot;
            await using (var export = connection.CreateCommand())
            {
                export.CommandText = "SELECT pg_export_snapshot()";
                snapshot = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
            }
            // Counted in the same snapshot that pg_dump reads, so the manifest says exactly what the dump holds.
            var tables = await CountTablesAsync(connection, cancellationToken);
            tables[KeysTable] = 0;
            var names = await StorageNamesAsync(connection, storageColumns, cancellationToken);
            var migration = await MigrationAsync(connection, cancellationToken);
            await RunAsync("pg_dump", connectionString,
                ["--format=custom", "--compress=0", "--no-owner", "--no-privileges", "--snapshot=" + snapshot, "--exclude-table-data=\"" + KeysTable + "\"", "--file=" + file],
                cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new DatabaseSnapshot(file, tables, names, migration);
        }

        public override async Task<bool> IsEmptyAsync(string connectionString, CancellationToken cancellationToken)
        {
            await using var connection = Connect(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()";
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0;
        }

        public override Task LoadAsync(string connectionString, string file, CancellationToken cancellationToken) =>
            RunAsync("pg_restore", connectionString, ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname=" + Database(connectionString), file], cancellationToken);

        public override DerbesDb Context(string connectionString) =>
            new PostgresDerbesDb(new DbContextOptionsBuilder<PostgresDerbesDb>()
                .UseNpgsql(connectionString)
                .ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning))
                .Options);

        private static string Database(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database ?? "postgres";

        /// <summary>
        /// Runs a PostgreSQL client tool with the connection in its environment (PGHOST…), never on the command line,
        /// where other users of the machine could read the password.
        /// </summary>
        private async Task RunAsync(string tool, string connectionString, IEnumerable<string> arguments, CancellationToken cancellationToken)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo(ToolPath(tool)) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment["PGHOST"] = builder.Host;
            start.Environment["PGPORT"] = builder.Port.ToString(CultureInfo.InvariantCulture);
            start.Environment["PGUSER"] = builder.Username;
            start.Environment["PGDATABASE"] = builder.Database ?? "postgres";
            start.Environment["PGSSLMODE"] = builder.SslMode switch
            {
                SslMode.Disable => "disable",
                SslMode.Allow => "allow",
                SslMode.Require => "require",
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                _ => "prefer",
            };
            if (!string.IsNullOrEmpty(builder.Password))
            {
                start.Environment["PGPASSWORD"] = builder.Password;
            }
            using var process = Process.Start(start) ?? throw new BackupException($"{tool} could not be started.");
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            await stdout;
            if (process.ExitCode != 0)
            {
                throw new BackupException($"{tool} failed (exit code {process.ExitCode}): {(await stderr).Trim()}");
            }
        }

        private string ToolPath(string tool)
        {
            if (!string.IsNullOrWhiteSpace(bin))
            {
                return Path.Combine(bin, tool);
            }
            // Debian's own copies first (the newest major version), then whatever PATH holds.
            var debian = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => Path.Combine(d, "bin", tool))
                    .Where(File.Exists)
                    .OrderByDescending(p => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p))), out var v) ? v : 0)
                    .FirstOrDefault()
                : null;
            if (debian is not null)
            {
                return debian;
            }
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            return onPath ?? throw new BackupException($"{tool} was not found: install the PostgreSQL client (Debian: postgresql-client) or set Backup:PostgresBin.");
        }
    }
}

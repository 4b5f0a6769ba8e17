using System.Text;
using Npgsql;

namespace Derbes.Web.Tests.Infrastructure;

/// <summary>Throwaway PostgreSQL databases on the server named by <c>DERBES_TEST_POSTGRES</c> (started by ./test.sh).</summary>
public static class TestDatabase
{
    public const string Variable = "DERBES_TEST_POSTGRES";

    /// <summary>The server's connection string (user, host, port; no database), or null when the suite runs on SQLite.</summary>
    public static string? PostgresServer { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } s ? s : null;

    public static string CreatePostgres(string server)
    {
        var name = "derbes_t_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ToString()))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            create.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    public static void DropPostgres(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ToString());
        connection.Open();
        // FORCE ends the sessions a worker that is still shutting down may hold.
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    /// <summary>
    /// Everything the database holds, as an auditor would dump it: every column of every row, text as UTF-8
    /// and binary columns as their raw bytes.
    /// </summary>
    public static async Task<byte[]> DumpPostgresAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var columns = new List<(string Table, string Column, bool Binary)>();
        await using (var list = new NpgsqlCommand(
            "SELECT table_name, column_name, data_type = 'bytea' FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
            connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
            }
        }
        using var dump = new MemoryStream();
        foreach (var (table, column, binary) in columns)
        {
            var select = binary ? $"SELECT \"{column}\" FROM \"{table}\"" : $"SELECT \"{column}\"::text FROM \"{table}\"";
            await using var command = new NpgsqlCommand(select, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (reader.IsDBNull(0))
                {
                    continue;
                }
                var bytes = binary ? (byte[])reader.GetValue(0) : Encoding.UTF8.GetBytes(reader.GetString(0));
                dump.Write(bytes);
                dump.WriteByte(0);
            }
        }
        return dump.ToArray();
    }
}

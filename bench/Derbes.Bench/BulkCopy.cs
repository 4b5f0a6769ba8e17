using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace Derbes.Bench;

/// <summary>
/// Writes entities with Npgsql binary COPY into the table the app's migrations made for them. Columns,
/// names and value conversions (enums to integers) come from the app's EF model, so a row is stored as
/// SaveChanges would store it, only without one INSERT per row.
/// </summary>
internal sealed class BulkCopy<T>
    where T : class
{
    private readonly string _table;
    private readonly Column[] _columns;

    public BulkCopy(DbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        _table = entity.GetTableName()!;
        var table = StoreObjectIdentifier.Table(_table, entity.GetSchema());
        _columns = [.. entity.GetProperties().Select(p => new Column(
            p.GetColumnName(table) ?? throw new InvalidOperationException($"{p.Name} has no column."),
            p.GetGetter(),
            p.GetTypeMapping().Converter,
            TypeOf(p.GetColumnType())))];
    }

    public string Table => _table;

    /// <summary>Copies every batch from <paramref name="batches"/> in one COPY; returns the rows written.</summary>
    public ulong Copy(string connectionString, IEnumerable<T[]> batches)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var columns = string.Join(", ", _columns.Select(c => $"\"{c.Name}\""));
        using var writer = connection.BeginBinaryImport($"COPY \"{_table}\" ({columns}) FROM STDIN (FORMAT BINARY)");
        foreach (var batch in batches)
        {
            foreach (var row in batch)
            {
                writer.StartRow();
                foreach (var column in _columns)
                {
                    var value = column.Getter.GetClrValueUsingContainingEntity(row);
                    if (value is not null && column.Converter is not null)
                    {
                        value = column.Converter.ConvertToProvider(value);
                    }
                    if (value is null)
                    {
                        writer.WriteNull();
                    }
                    else
                    {
                        writer.Write(value, column.Type);
                    }
                }
            }
        }
        return writer.Complete();
    }

    private static NpgsqlDbType TypeOf(string columnType) => columnType switch
    {
        "uuid" => NpgsqlDbType.Uuid,
        "integer" => NpgsqlDbType.Integer,
        "bigint" => NpgsqlDbType.Bigint,
        "boolean" => NpgsqlDbType.Boolean,
        "bytea" => NpgsqlDbType.Bytea,
        "text" => NpgsqlDbType.Text,
        "timestamp with time zone" => NpgsqlDbType.TimestampTz,
        _ when columnType.StartsWith("character varying", StringComparison.Ordinal) => NpgsqlDbType.Varchar,
        _ => throw new NotSupportedException($"Column type {columnType} is not handled by the bulk loader."),
    };

    private sealed record Column(string Name, IClrPropertyGetter Getter, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? Converter, NpgsqlDbType Type);
}

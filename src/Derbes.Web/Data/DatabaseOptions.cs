namespace Derbes.Web.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply migrations at start (the default); operators who prefer a separate step turn it off.</summary>
    public bool MigrateAtStart { get; set; } = true;
}

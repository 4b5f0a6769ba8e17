using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Derbes.Web.Data;

/// <summary>The SQLite flavour: its own migrations (Data/Migrations/Sqlite) and time stored as UTC ticks.</summary>
public sealed class SqliteDerbesDb(DbContextOptions<SqliteDerbesDb> options) : DerbesDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // SQLite has no time type that sorts and compares; UTC ticks do both exactly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite context without starting the app.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteDerbesDb>
{
    public SqliteDerbesDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteDerbesDb>().UseSqlite("Data Source=design.db").Options);
}

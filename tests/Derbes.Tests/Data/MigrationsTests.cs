using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Derbes.Tests.Data;

/// <summary>
/// Both providers' migrations come from the one model: when the model changes and a provider's migrations
/// were not regenerated, this fails and says which command to run.
/// </summary>
public sealed class MigrationsTests
{
    public static TheoryData<string> Providers => new() { "Sqlite", "Postgres" };

    private static DerbesDb Create(string provider) => provider switch
    {
        "Sqlite" => new SqliteDesignTimeFactory().CreateDbContext([]),
        "Postgres" => new PostgresDesignTimeFactory().CreateDbContext([]),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public void TheProvidersMigrationsMatchTheModel(string provider)
    {
        using var db = Create(provider);
        Assert.True(
            !db.Database.HasPendingModelChanges(),
            $"The model has changes that the {provider} migrations lack. In src/Derbes.Web run: " +
            $"dotnet ef migrations add <Name> --context {provider}DerbesDb --output-dir Data/Migrations/{provider}");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void EachProviderHasItsOwnMigrations(string provider)
    {
        using var db = Create(provider);
        var migrations = db.GetService<IMigrationsAssembly>().Migrations;
        Assert.NotEmpty(migrations);
        Assert.All(migrations.Values, type => Assert.EndsWith("Migrations." + provider, type.Namespace, StringComparison.Ordinal));
    }
}

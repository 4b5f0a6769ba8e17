using Derbes.Web.Startup;
using Npgsql;

namespace Derbes.Tests.Data;

/// <summary>
/// The site's PostgreSQL connection defaults (statements prepared after their second use, no reset round on every
/// return to the pool) apply only where the operator's connection string says nothing of them.
/// </summary>
public sealed class PostgresConnectionTests
{
    [Fact]
    public void AConnectionStringThatSaysNothingGetsPreparedStatementsAndNoResetOnClose()
    {
        var connection = DerbesServices.WithSiteDefaults(new NpgsqlConnectionStringBuilder("Host=db;Database=derbes;Username=derbes"));
        Assert.Equal(64, connection.MaxAutoPrepare);
        Assert.True(connection.NoResetOnClose);
        Assert.Equal("db", connection.Host);
        Assert.Equal("derbes", connection.Database);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;NORESETONCLOSE=false")]
    public void WhatTheOperatorWroteIsKept(string written)
    {
        var connection = DerbesServices.WithSiteDefaults(new NpgsqlConnectionStringBuilder(written));
        Assert.Equal(0, connection.MaxAutoPrepare);
        Assert.False(connection.NoResetOnClose);
    }
}

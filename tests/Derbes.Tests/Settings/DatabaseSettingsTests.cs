using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Derbes.Web.Settings;
using Microsoft.Extensions.Configuration;

namespace Derbes.Tests.Settings;

public sealed class DatabaseSettingsTests
{
    private static (IConfigurationRoot Configuration, DatabaseSettingsProvider Saved) Build(Dictionary<string, string?> configured)
    {
        var source = new DatabaseSettingsSource();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(configured).Add(source).Build();
        return (configuration, source.Provider);
    }

    [Fact]
    public void WhatWasSavedOnThePageWinsOverConfigurationAndGoesBackToItWhenRemoved()
    {
        var (configuration, saved) = Build(new() { [EditableSettings.OperatorName] = "SMALL", [EditableSettings.AccountPostsPerWindow] = "30" });
        Assert.True(saved.Apply([KeyValuePair.Create(EditableSettings.OperatorName, "ТОО «SMALL»")]));

        Assert.Equal("ТОО «SMALL»", configuration.GetSection(SiteOptions.Section).Get<SiteOptions>()!.OperatorName);
        Assert.Equal(30, configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>()!.AccountPostsPerWindow);

        Assert.True(saved.Apply([]));
        Assert.Equal("SMALL", configuration[EditableSettings.OperatorName]);
    }

    [Fact]
    public void ARowForAKeyThePageDoesNotOfferIsIgnored()
    {
        var (configuration, saved) = Build(new() { ["ConnectionStrings:Derbes"] = "Data Source=derbes.db", ["Keys:MasterKeyFile"] = "keys/master-keys.json" });
        saved.Apply([KeyValuePair.Create("ConnectionStrings:Derbes", "Host=attacker.example"), KeyValuePair.Create("Keys:MasterKeyFile", "/tmp/x")]);

        Assert.Equal("Data Source=derbes.db", configuration.GetConnectionString("Derbes"));
        Assert.Equal("keys/master-keys.json", configuration["Keys:MasterKeyFile"]);
    }

    [Fact]
    public void ReloadIsSignalledOnlyWhenAValueChanged()
    {
        var (configuration, saved) = Build([]);
        var signals = 0;
        using var subscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, () => signals++);

        saved.Apply([KeyValuePair.Create(EditableSettings.RateWindow, "00:02:00")]);
        saved.Apply([KeyValuePair.Create(EditableSettings.RateWindow, "00:02:00")]);
        Assert.Equal(1, signals);
        saved.Apply([KeyValuePair.Create(EditableSettings.RateWindow, "00:03:00")]);
        Assert.Equal(2, signals);
        Assert.Equal(TimeSpan.FromMinutes(3), configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>()!.Window);
    }

    [Theory]
    [InlineData(EditableSettings.VerifiedRetention, "30.00:00:00", "30.00:00:00")]
    [InlineData(EditableSettings.VerifiedRetention, "30:00:00:00", "30.00:00:00")]
    [InlineData(EditableSettings.RateWindow, "00:01:00", "00:01:00")]
    [InlineData(EditableSettings.AccountPostsPerWindow, "030", "30")]
    [InlineData(EditableSettings.OperatorName, " SMALL ", " SMALL ")]
    [InlineData(EditableSettings.VerifiedRetention, "a month", "a month")]
    public void ValuesAreComparedAsConfigurationReadsThem(string key, string value, string canonical) =>
        Assert.Equal(canonical, EditableSettings.Find(key)!.Canonical(value));

    [Fact]
    public void PersonalValuesAreExactlyTheResponsiblePersonsNameEmailAndPhone() =>
        Assert.Equal(
            [EditableSettings.ResponsibleName, EditableSettings.ResponsibleEmail, EditableSettings.ResponsiblePhone],
            EditableSettings.All.Where(d => d.Personal).Select(d => d.Key));

    [Theory]
    [InlineData("", "", DataLocationStatus.NotStated)]
    [InlineData("KZ", "", DataLocationStatus.NotStated)]
    [InlineData("KZ", "KZ", DataLocationStatus.Kazakhstan)]
    [InlineData("kz", "KZ", DataLocationStatus.Kazakhstan)]
    [InlineData("KZ", "DE", DataLocationStatus.Abroad)]
    [InlineData("RU", "KZ", DataLocationStatus.Abroad)]
    public void TheDataLocationIsInKazakhstanOnlyWhenBothCountriesAreStatedAsKazakhstan(string database, string archive, DataLocationStatus expected) =>
        Assert.Equal(expected, new SiteOptions { DatabaseCountry = database, ArchiveCountry = archive }.DataLocationStatus);
}

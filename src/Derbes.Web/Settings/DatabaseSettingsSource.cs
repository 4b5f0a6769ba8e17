namespace Derbes.Web.Settings;

/// <summary>
/// The configuration source for the Settings table, added after every other source so that what an
/// Administrator saved wins over appsettings, the environment and the command line. It always hands out the
/// same provider: configuration may rebuild its providers, and the values loaded so far must survive that.
/// </summary>
public sealed class DatabaseSettingsSource : IConfigurationSource
{
    public DatabaseSettingsProvider Provider { get; } = new();

    public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
}

/// <summary>
/// Holds the Settings table's values in configuration. It does not open the database itself: configuration is
/// built before the app's services exist, and a second way of connecting (its own connection string, its own
/// SQLite path resolution, its own pooling) would be a second thing to get wrong. <see cref="DatabaseSettings"/>
/// reads the table through the app's own <c>DerbesDb</c> once the app is built, after migrations, after each
/// save and every <c>Settings:RefreshInterval</c>, and hands the rows here. Until then it is empty, which is
/// also what a database without the table (before the first migration) amounts to.
/// </summary>
public sealed class DatabaseSettingsProvider : ConfigurationProvider
{
    /// <summary>
    /// Replaces the values with <paramref name="values"/> (only editable keys are kept) and, when anything differs,
    /// fires the reload token so that <c>IOptionsMonitor</c> consumers see the new values at once.
    /// </summary>
    /// <returns>Whether anything changed.</returns>
    public bool Apply(IEnumerable<KeyValuePair<string, string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var next = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in values)
        {
            if (EditableSettings.IsEditable(key))
            {
                next[key] = value;
            }
        }
        var current = Data;
        if (next.Count == current.Count && next.All(p => current.TryGetValue(p.Key, out var v) && string.Equals(v, p.Value, StringComparison.Ordinal)))
        {
            return false;
        }
        // Readers take the dictionary by reference: swapping it whole never shows them a half-written one.
        Data = next;
        OnReload();
        return true;
    }
}

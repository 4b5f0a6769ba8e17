using System.Data.Common;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Settings;

public sealed class SettingsOptions
{
    public const string Section = "Settings";

    /// <summary>
    /// How often each instance re-reads the Settings table, so that instances sharing one PostgreSQL database
    /// converge on a change made on any of them (the instance that saved applies it at once).
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Loads the Settings table into configuration (<see cref="DatabaseSettingsProvider"/>): at start after
/// migrations, right after a save in this instance, and every <see cref="SettingsOptions.RefreshInterval"/>.
/// A database that cannot be read (the table not created yet, an outage) leaves the last values in place:
/// falling back to appsettings in the middle of an outage would silently undo an Administrator's decision.
/// </summary>
public sealed partial class DatabaseSettings(
    DatabaseSettingsSource source,
    IServiceScopeFactory scopes,
    IOptions<SettingsOptions> options,
    ILogger<DatabaseSettings> logger) : BackgroundService
{
    // One reload at a time, each reading and applying as one step: otherwise a refresh that read the table just
    // before a save could apply its older rows after the save's reload, and undo the change here until the next refresh.
    private readonly SemaphoreSlim _reload = new(1, 1);

    /// <summary>Reads the table and applies it; returns the rows read (none when the table could not be read).</summary>
    public async Task<List<Setting>> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            List<Setting> rows;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                rows = await ReadAsync(scope.ServiceProvider.GetRequiredService<DerbesDb>(), cancellationToken);
            }
            catch (DbException ex)
            {
                LogReadFailed(logger, ex);
                return [];
            }
            if (source.Provider.Apply(rows.Select(r => KeyValuePair.Create(r.Key, r.Value))))
            {
                LogApplied(logger);
            }
            return rows;
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Every editable setting stored in the table, by key.</summary>
    public static async Task<List<Setting>> ReadAsync(DerbesDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var keys = EditableSettings.All.Select(d => d.Key).ToList();
        return await db.Settings.AsNoTracking().Where(s => keys.Contains(s.Key)).OrderBy(s => s.Key).ToListAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Wall-clock time, not the app's TimeProvider: convergence between processes is a matter of real
        // seconds, and tests that move the business clock must neither starve nor flood this loop.
        var interval = options.Value.RefreshInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                await ReloadAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReadFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settings table could not be read; the values loaded before stay in force")]
    private static partial void LogReadFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settings from the database applied")]
    private static partial void LogApplied(ILogger logger);

    public override void Dispose()
    {
        _reload.Dispose();
        base.Dispose();
    }
}

using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Settings;

/// <summary>Where a setting's effective value comes from.</summary>
public enum SettingSource
{
    /// <summary>Nobody configured it: the documented default.</summary>
    Default,
    /// <summary>appsettings, the environment or the command line.</summary>
    Configuration,
    /// <summary>Saved at /admin/settings (the Settings table), which wins over configuration.</summary>
    Page,
}

/// <summary>One editable setting as the page shows it: what applies, where it comes from, and who set it when.</summary>
public sealed record SettingState(SettingDefinition Definition, string Value, SettingSource Source, string? UpdatedBy, DateTimeOffset? UpdatedAt);

/// <summary>The editable settings at one moment, with the version a form must carry back to save over them.</summary>
public sealed record SettingsSnapshot(IReadOnlyDictionary<string, SettingState> States, string Version)
{
    public SettingState this[string key] => States[key];
}

public enum SettingsSaveResult
{
    Saved,
    Unchanged,
    /// <summary>Someone saved in between: nothing was written, the form must be shown again with the new values.</summary>
    Conflict,
}

/// <summary>
/// Reads and saves the settings of /admin/settings. A save writes only the keys whose value differs from what
/// applies now, with one audit entry per key in the same SaveChanges; personal values (the responsible person's
/// name, email, phone) are recorded as "changed", never as themselves. A save is refused when the table changed
/// after the form was shown (the version) or while saving (the rows' value and time are concurrency tokens).
/// </summary>
public sealed class SettingsStore(DerbesDb db, IConfiguration configuration, DatabaseSettings settings, AuditTrail audit, TimeProvider clock)
{
    public async Task<SettingsSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        // What this instance applies catches up with the table whenever someone looks at it.
        await settings.ReloadAsync(cancellationToken);
        return Snapshot(await DatabaseSettings.ReadAsync(db, cancellationToken));
    }

    /// <summary>Saves <paramref name="values"/> (canonical, already validated) for <paramref name="actor"/> if the table is still at <paramref name="version"/>.</summary>
    public async Task<SettingsSaveResult> SaveAsync(string? version, IReadOnlyDictionary<string, string> values, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        var keys = EditableSettings.All.Select(d => d.Key).ToList();
        var rows = await db.Settings.Where(s => keys.Contains(s.Key)).OrderBy(s => s.Key).ToListAsync(cancellationToken);
        if (!string.Equals(Version(rows), version, StringComparison.Ordinal))
        {
            return SettingsSaveResult.Conflict;
        }
        var now = clock.GetUtcNow();
        var changed = 0;
        foreach (var definition in EditableSettings.All)
        {
            if (!values.TryGetValue(definition.Key, out var value))
            {
                continue;
            }
            var row = rows.FirstOrDefault(r => string.Equals(r.Key, definition.Key, StringComparison.OrdinalIgnoreCase));
            var current = definition.Canonical(row?.Value ?? Configured(definition.Key) ?? definition.Default);
            value = definition.Canonical(value);
            if (string.Equals(current, value, StringComparison.Ordinal))
            {
                continue;
            }
            if (row is null)
            {
                db.Settings.Add(new Setting { Key = definition.Key, Value = value, UpdatedAt = now, UpdatedBy = actor });
            }
            else
            {
                row.Value = value;
                row.UpdatedAt = now;
                row.UpdatedBy = actor;
            }
            audit.Record("setting.changed", definition.Key, outcome: definition.Personal ? "changed" : value, actor: actor);
            changed++;
        }
        if (changed == 0)
        {
            return SettingsSaveResult.Unchanged;
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another Administrator saved the same key at the same moment (a stale row or a second insert);
            // anything else is not a conflict and goes on up.
            if (!await ChangedSinceAsync(rows, cancellationToken))
            {
                throw;
            }
            db.ChangeTracker.Clear();
            return SettingsSaveResult.Conflict;
        }
        await settings.ReloadAsync(cancellationToken);
        return SettingsSaveResult.Saved;
    }

    private async Task<bool> ChangedSinceAsync(List<Setting> before, CancellationToken cancellationToken)
    {
        var keys = EditableSettings.All.Select(d => d.Key).ToList();
        var now = await db.Settings.AsNoTracking().Where(s => keys.Contains(s.Key)).OrderBy(s => s.Key).ToListAsync(cancellationToken);
        return !string.Equals(Version(now), Version(before, original: true), StringComparison.Ordinal);
    }

    private SettingsSnapshot Snapshot(List<Setting> rows)
    {
        var states = new Dictionary<string, SettingState>(StringComparer.OrdinalIgnoreCase);
        foreach (var definition in EditableSettings.All)
        {
            var row = rows.FirstOrDefault(r => string.Equals(r.Key, definition.Key, StringComparison.OrdinalIgnoreCase));
            var configured = Configured(definition.Key);
            states[definition.Key] = row is not null
                ? new SettingState(definition, definition.Canonical(row.Value), SettingSource.Page, row.UpdatedBy, row.UpdatedAt)
                : new SettingState(definition, definition.Canonical(configured ?? definition.Default), configured is null ? SettingSource.Default : SettingSource.Configuration, null, null);
        }
        return new SettingsSnapshot(states, Version(rows));
    }

    /// <summary>The value configuration gives <paramref name="key"/> without the Settings table: the last other source that has it.</summary>
    private string? Configured(string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return configuration[key];
        }
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider is not DatabaseSettingsProvider && provider.TryGet(key, out var value))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>
    /// A fingerprint of the table's editable rows (key, value, time of change). A form carries the one it was
    /// shown with; any save in between, on any instance, changes it.
    /// </summary>
    private string Version(List<Setting> rows, bool original = false)
    {
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            var value = row.Value;
            var at = row.UpdatedAt;
            if (original && db.Entry(row) is { State: EntityState.Modified } entry)
            {
                value = (string)entry.OriginalValues[nameof(Setting.Value)]!;
                at = (DateTimeOffset)entry.OriginalValues[nameof(Setting.UpdatedAt)]!;
            }
            text.Append(row.Key).Append('\0').Append(value).Append('\0').Append(at.UtcTicks).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }
}

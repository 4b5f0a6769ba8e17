using System.Globalization;
using Derbes.Web.Data;

namespace Derbes.Web.Audit;

/// <summary>
/// What a retention run removed from the start of the audit trail, signed, so the chain that remains still
/// verifies: its first entry links to <see cref="LastPurgedHash"/> instead of the genesis hash. Checkpoints are
/// never purged. Each one starts where the one before ended (<see cref="FirstPurgedPreviousHash"/> is the previous
/// checkpoint's <see cref="LastPurgedHash"/>), so they form a chain of their own: a removed checkpoint leaves a gap
/// that the next one, or the first remaining entry, shows. That link is why no separate hash of the previous
/// checkpoint is kept.
/// </summary>
public sealed class AuditCheckpoint
{
    public long Id { get; set; }

    /// <summary>When the entries were removed.</summary>
    public DateTimeOffset At { get; set; }

    public long FirstPurgedId { get; set; }
    public long LastPurgedId { get; set; }

    /// <summary>The previous hash of the first entry removed: where this stretch of the chain began.</summary>
    public string FirstPurgedPreviousHash { get; set; } = "";

    /// <summary>The hash of the newest entry removed: the previous hash of the first entry that remains.</summary>
    public string LastPurgedHash { get; set; } = "";

    public long PurgedCount { get; set; }

    /// <summary>The times of the oldest and newest entries removed.</summary>
    public DateTimeOffset PurgedFrom { get; set; }
    public DateTimeOffset PurgedTo { get; set; }

    /// <summary>The master key (by id) from which the signing key is derived; see <see cref="CheckpointSigner"/>.</summary>
    public string KeyId { get; set; } = "";

    /// <summary>Ed25519 over <see cref="SignedContent"/>, hex.</summary>
    public string Signature { get; set; } = "";

    /// <summary>
    /// Everything the signature covers, in the chain's unambiguous form. Not the id: the database assigns it after
    /// signing; the order of checkpoints is fixed by their hashes instead.
    /// </summary>
    public string SignedContent() => HashChain.Canonical(
        "derbes-audit-checkpoint-v1",
        KeyId,
        At.UtcTicks.ToString(CultureInfo.InvariantCulture),
        FirstPurgedId.ToString(CultureInfo.InvariantCulture),
        LastPurgedId.ToString(CultureInfo.InvariantCulture),
        FirstPurgedPreviousHash,
        LastPurgedHash,
        PurgedCount.ToString(CultureInfo.InvariantCulture),
        PurgedFrom.UtcTicks.ToString(CultureInfo.InvariantCulture),
        PurgedTo.UtcTicks.ToString(CultureInfo.InvariantCulture));
}

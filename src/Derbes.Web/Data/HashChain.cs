using System.Security.Cryptography;
using System.Text;

namespace Derbes.Web.Data;

/// <summary>A record that belongs to an append-only, hash-chained table.</summary>
public interface IChainedRecord
{
    string PreviousHash { get; set; }
    string Hash { get; set; }

    /// <summary>When it happened; part of the hashed content, so kept at a precision every database stores exactly.</summary>
    DateTimeOffset At { get; set; }

    /// <summary>The record's content in a fixed, unambiguous form; the hash covers it and the previous hash.</summary>
    string CanonicalContent();
}

public static class HashChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// Microseconds, UTC: PostgreSQL keeps no finer, so a time hashed at 100 ns precision would read back
    /// different and break the chain.
    /// </summary>
    public static DateTimeOffset StorablePrecision(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);

    public static string Link(string previousHash, string canonicalContent) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(previousHash + "\n" + canonicalContent)));

    /// <summary>Field values joined so that no value can imitate a separator (lengths prefix each value).</summary>
    public static string Canonical(params string?[] fields)
    {
        var builder = new StringBuilder();
        foreach (var field in fields)
        {
            var value = field ?? "";
            builder.Append(value.Length).Append(':').Append(value).Append(';');
        }
        return builder.ToString();
    }

    /// <summary>Verifies a chain in order; returns the id of the first broken record, or null when intact.</summary>
    public static long? FirstBroken<T>(IEnumerable<T> recordsInOrder, Func<T, long> id) where T : IChainedRecord
    {
        ArgumentNullException.ThrowIfNull(recordsInOrder);
        ArgumentNullException.ThrowIfNull(id);
        var previous = Genesis;
        foreach (var record in recordsInOrder)
        {
            if (record.PreviousHash != previous || record.Hash != Link(previous, record.CanonicalContent()))
            {
                return id(record);
            }
            previous = record.Hash;
        }
        return null;
    }
}

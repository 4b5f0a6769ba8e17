using DiffPlex;
using DiffPlex.Chunkers;

namespace Derbes.Web.Privacy;

/// <summary>What a diff line is: unchanged context, a changed line (with its pieces), or a run of unchanged lines left out.</summary>
public enum DiffLineKind
{
    Context,
    Changed,
    Gap,
}

public enum DiffPieceKind
{
    Same,
    Inserted,
    Removed,
}

public sealed record DiffPiece(DiffPieceKind Kind, string Text);

/// <summary>One line of the diff. For a gap, <see cref="Skipped"/> counts the unchanged lines left out.</summary>
public sealed record DiffLine(DiffLineKind Kind, IReadOnlyList<DiffPiece> Pieces, int Skipped = 0);

/// <summary>
/// What changed between two editions' texts, for a reader rather than a programmer (policy 5.4: customers are
/// told what changed). Lines are compared first; a changed paragraph that replaces one paragraph is compared
/// word by word, so a reader sees the two words that changed rather than the whole paragraph twice. Unchanged
/// lines far from any change are collapsed into a gap.
/// </summary>
public static class PolicyDiff
{
    /// <summary>Unchanged lines kept on each side of a change.</summary>
    public const int ContextLines = 2;

    public static IReadOnlyList<DiffLine> Compare(string before, string after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var result = Differ.Instance.CreateDiffs(Normalise(before), Normalise(after), ignoreWhiteSpace: false, ignoreCase: false, LineChunker.Instance);
        var oldLines = result.PiecesOld;
        var newLines = result.PiecesNew;
        var lines = new List<DiffLine>();
        var (a, b) = (0, 0);
        foreach (var block in result.DiffBlocks)
        {
            for (; a < block.DeleteStartA; a++, b++)
            {
                lines.Add(Same(oldLines[a]));
            }
            if (block.DeleteCountA == block.InsertCountB)
            {
                for (var i = 0; i < block.DeleteCountA; i++)
                {
                    lines.Add(new DiffLine(DiffLineKind.Changed, Words(oldLines[block.DeleteStartA + i], newLines[block.InsertStartB + i])));
                }
            }
            else
            {
                for (var i = 0; i < block.DeleteCountA; i++)
                {
                    lines.Add(new DiffLine(DiffLineKind.Changed, [new DiffPiece(DiffPieceKind.Removed, oldLines[block.DeleteStartA + i])]));
                }
                for (var i = 0; i < block.InsertCountB; i++)
                {
                    lines.Add(new DiffLine(DiffLineKind.Changed, [new DiffPiece(DiffPieceKind.Inserted, newLines[block.InsertStartB + i])]));
                }
            }
            a = block.DeleteStartA + block.DeleteCountA;
            b = block.InsertStartB + block.InsertCountB;
        }
        for (; a < oldLines.Count; a++)
        {
            lines.Add(Same(oldLines[a]));
        }
        return Collapse(lines);
    }

    /// <summary>Whether the two texts differ at all (after line endings are made the same).</summary>
    public static bool HasChanges(IReadOnlyList<DiffLine> lines) => lines.Any(l => l.Kind == DiffLineKind.Changed);

    private static DiffLine Same(string line) => new(DiffLineKind.Context, [new DiffPiece(DiffPieceKind.Same, line)]);

    private static List<DiffPiece> Words(string before, string after)
    {
        var result = Differ.Instance.CreateDiffs(before, after, ignoreWhiteSpace: false, ignoreCase: false, WordChunker.Instance);
        var pieces = new List<DiffPiece>();
        var a = 0;
        foreach (var block in result.DiffBlocks)
        {
            Add(pieces, DiffPieceKind.Same, result.PiecesOld.Skip(a).Take(block.DeleteStartA - a));
            Add(pieces, DiffPieceKind.Removed, result.PiecesOld.Skip(block.DeleteStartA).Take(block.DeleteCountA));
            Add(pieces, DiffPieceKind.Inserted, result.PiecesNew.Skip(block.InsertStartB).Take(block.InsertCountB));
            a = block.DeleteStartA + block.DeleteCountA;
        }
        Add(pieces, DiffPieceKind.Same, result.PiecesOld.Skip(a));
        return pieces;
    }

    private static void Add(List<DiffPiece> pieces, DiffPieceKind kind, IEnumerable<string> words)
    {
        var text = string.Concat(words);
        if (text.Length == 0)
        {
            return;
        }
        if (pieces.Count > 0 && pieces[^1].Kind == kind)
        {
            pieces[^1] = pieces[^1] with { Text = pieces[^1].Text + text };
            return;
        }
        pieces.Add(new DiffPiece(kind, text));
    }

    /// <summary>Keeps <see cref="ContextLines"/> unchanged lines around each change; longer unchanged runs become one gap.</summary>
    private static List<DiffLine> Collapse(List<DiffLine> lines)
    {
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Kind != DiffLineKind.Changed)
            {
                continue;
            }
            for (var j = Math.Max(0, i - ContextLines); j <= Math.Min(lines.Count - 1, i + ContextLines); j++)
            {
                keep[j] = true;
            }
        }
        var collapsed = new List<DiffLine>();
        var skipped = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (keep[i])
            {
                if (skipped > 0)
                {
                    collapsed.Add(new DiffLine(DiffLineKind.Gap, [], skipped));
                    skipped = 0;
                }
                collapsed.Add(lines[i]);
            }
            else
            {
                skipped++;
            }
        }
        if (skipped > 0)
        {
            collapsed.Add(new DiffLine(DiffLineKind.Gap, [], skipped));
        }
        return collapsed;
    }

    private static string Normalise(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
}

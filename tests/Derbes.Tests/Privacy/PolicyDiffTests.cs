using Derbes.Web.Privacy;

namespace Derbes.Tests.Privacy;

public sealed class PolicyDiffTests
{
    [Fact]
    public void AChangedParagraphShowsOnlyTheWordsThatChanged()
    {
        var lines = PolicyDiff.Compare("Жауап 30 жұмыс күні ішінде беріледі.", "Жауап 15 жұмыс күні ішінде беріледі.");
        var line = Assert.Single(lines);
        Assert.Equal(DiffLineKind.Changed, line.Kind);
        Assert.Contains(line.Pieces, p => p.Kind == DiffPieceKind.Removed && p.Text == "30");
        Assert.Contains(line.Pieces, p => p.Kind == DiffPieceKind.Inserted && p.Text == "15");
        Assert.Equal("Жауап 15 жұмыс күні ішінде беріледі.", string.Concat(line.Pieces.Where(p => p.Kind != DiffPieceKind.Removed).Select(p => p.Text)));
        Assert.Equal("Жауап 30 жұмыс күні ішінде беріледі.", string.Concat(line.Pieces.Where(p => p.Kind != DiffPieceKind.Inserted).Select(p => p.Text)));
    }

    [Fact]
    public void AddedAndRemovedParagraphsAreWholeLinesAndFarContextIsCollapsed()
    {
        var same = Enumerable.Range(1, 20).Select(i => $"Тармақ {i}.").ToList();
        var before = string.Join("\n", same.Append("Ескі тармақ."));
        var after = string.Join("\r\n", same.Take(10).Append("Жаңа тармақ бірінші.").Append("Жаңа тармақ екінші.").Concat(same.Skip(10)));
        var lines = PolicyDiff.Compare(before, after);

        Assert.True(PolicyDiff.HasChanges(lines));
        Assert.Contains(lines, l => l.Kind == DiffLineKind.Changed && l.Pieces.Single() == new DiffPiece(DiffPieceKind.Removed, "Ескі тармақ."));
        Assert.Contains(lines, l => l.Kind == DiffLineKind.Changed && l.Pieces.Single() == new DiffPiece(DiffPieceKind.Inserted, "Жаңа тармақ бірінші."));
        // Two lines of context around each change; the eight lines before, the six between are gaps.
        Assert.Equal(8, lines[0].Skipped);
        Assert.Equal(DiffLineKind.Gap, lines[0].Kind);
        Assert.Equal(["Тармақ 9.", "Тармақ 10."], lines.Skip(1).Take(2).Select(l => l.Pieces.Single().Text));
        Assert.Contains(lines, l => l.Kind == DiffLineKind.Gap && l.Skipped == 6);
        Assert.Equal(2, lines.Count(l => l.Kind == DiffLineKind.Gap));
    }

    [Fact]
    public void TheSameTextHasNoChanges()
    {
        var lines = PolicyDiff.Compare("Бір.\nЕкі.\n", "Бір.\r\nЕкі.");
        Assert.False(PolicyDiff.HasChanges(lines));
    }
}

using Derbes.Web.Documents;

namespace Derbes.Tests.Documents;

public sealed class DocumentFileNameTests
{
    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("a\0b.pdf", "ab.pdf")]
    [InlineData("C:\\Users\\x\\scan.pdf", "scan.pdf")]
    [InlineData("a/b\\c.pdf", "c.pdf")]
    [InlineData("  passport   scan .pdf  ", "passport scan .pdf")]
    [InlineData("..hidden.pdf", "hidden.pdf")]
    [InlineData("scan.pdf. . ", "scan.pdf")]
    [InlineData("line\r\nbreak.pdf", "linebreak.pdf")]
    [InlineData("tab\there.png", "tabhere.png")]
    [InlineData("scan\u202Efdp.exe", "scanfdp.exe")]
    [InlineData("non\u00A0breaking\u2003spaces.jpg", "non breaking spaces.jpg")]
    [InlineData("Удостоверение личности.pdf", "Удостоверение личности.pdf")]
    public void NamesAreReducedToACleanLastSegment(string original, string expected)
    {
        Assert.Equal(expected, DocumentFileName.Clean(original));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("...")]
    [InlineData("/")]
    [InlineData("folder/")]
    [InlineData("C:\\")]
    [InlineData("\0\u0001\u001F")]
    public void NamesWithNothingLeftFallBackToDocument(string? original)
    {
        Assert.Equal("document", DocumentFileName.Clean(original));
    }

    [Fact]
    public void LongNameIsCutToOneHundredCharactersKeepingTheExtension()
    {
        var cleaned = DocumentFileName.Clean(new string('a', 150) + ".pdf");

        Assert.Equal(100, cleaned.Length);
        Assert.Equal(new string('a', 96) + ".pdf", cleaned);
    }

    [Fact]
    public void LongNameWithoutExtensionIsCutToOneHundredCharacters()
    {
        Assert.Equal(new string('b', 100), DocumentFileName.Clean(new string('b', 250)));
    }

    [Fact]
    public void CuttingNeverSplitsACharacterMadeOfTwoCodeUnits()
    {
        var cleaned = DocumentFileName.Clean(string.Concat(Enumerable.Repeat("😀", 60)) + ".jpg");

        Assert.True(cleaned.Length <= 100);
        Assert.EndsWith(".jpg", cleaned, StringComparison.Ordinal);
        for (var i = 0; i < cleaned.Length; i++)
        {
            if (char.IsHighSurrogate(cleaned[i]))
            {
                Assert.True(i + 1 < cleaned.Length && char.IsLowSurrogate(cleaned[i + 1]));
                i++;
            }
            else
            {
                Assert.False(char.IsLowSurrogate(cleaned[i]));
            }
        }
    }
}

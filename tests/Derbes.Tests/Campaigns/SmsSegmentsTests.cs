using Derbes.Web.Campaigns;

namespace Derbes.Tests.Campaigns;

/// <summary>How many SMS a campaign's text takes, as the network counts it (3GPP TS 23.038): what the counter on the form says.</summary>
public sealed class SmsSegmentsTests
{
    [Theory]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    public void LatinTextFitsOneHundredSixtyInOneAndOneHundredFiftyThreeInEachPart(int length, int segments)
    {
        var measured = SmsSegments.Measure(new string('a', length));
        Assert.Equal((length, segments, false), (measured.Characters, measured.Segments, measured.Unicode));
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void CyrillicOrKazakhTextFitsSeventyInOneAndSixtySevenInEachPart(int length, int segments)
    {
        var measured = SmsSegments.Measure(new string('ә', length));
        Assert.Equal((length, segments, true), (measured.Characters, measured.Segments, measured.Unicode));
    }

    [Fact]
    public void OneCyrillicLetterMakesTheWholeTextUnicodeAndExtensionCharactersCountTwice()
    {
        Assert.True(SmsSegments.Measure(new string('a', 100) + "ж").Unicode);
        Assert.Equal(2, SmsSegments.Measure("€").Characters);
        Assert.Equal(2, SmsSegments.Measure(new string('a', 159) + "[").Segments);
        Assert.Equal(0, SmsSegments.Measure("").Segments);
    }
}

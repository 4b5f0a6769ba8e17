using Derbes.Web.Customers;

namespace Derbes.Tests.Customers;

public sealed class KazakhPhoneTests
{
    [Theory]
    [InlineData("8 701 123 45 67", "+77011234567")]
    [InlineData("+7 (701) 123-45-67", "+77011234567")]
    [InlineData("77011234567", "+77011234567")]
    [InlineData("87471234567", "+77471234567")]
    [InlineData("+7 777 000 11 22", "+77770001122")]
    [InlineData(" 8-705-765-43-21 ", "+77057654321")]
    public void NumbersAsPeopleInKazakhstanTypeThemBecomeE164(string typed, string expected)
    {
        Assert.True(KazakhPhone.TryNormalise(typed, out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("+7 916 123 45 67")] // Moscow mobile: +7 but Russia
    [InlineData("8 916 123 45 67")]
    [InlineData("+7 727 250 00 00")] // Almaty landline, not a mobile
    [InlineData("+1 202 555 0100")]
    [InlineData("12345")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a phone")]
    [InlineData("8 701 123 45 67 89 00 11 22 33 44 55 66")]
    [InlineData("+7 701 123 45 6")]
    public void RussianLandlineForeignAndMalformedNumbersAreRefused(string typed) =>
        Assert.False(KazakhPhone.TryNormalise(typed, out _));

    [Theory]
    [InlineData("+7 727 250 00 00", "+77272500000")] // Almaty landline
    [InlineData("8 7172 55 55 55", "+77172555555")] // Astana landline
    [InlineData("8 701 123 45 67", "+77011234567")]
    public void AnOfficeContactMayGiveALandline(string typed, string expected)
    {
        Assert.True(KazakhPhone.TryNormaliseAnyLine(typed, out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("+7 916 123 45 67")]
    [InlineData("+7 495 123 45 67")] // Moscow landline: +7 but Russia
    [InlineData("+1 202 555 0100")]
    [InlineData("12345")]
    [InlineData("")]
    public void AnOfficeContactMustStillBeAKazakhstanNumber(string typed) =>
        Assert.False(KazakhPhone.TryNormaliseAnyLine(typed, out _));
}

using Derbes.Web.Customers;

namespace Derbes.Tests.Customers;

public sealed class KazakhIdNumberTests
{
    [Theory]
    [InlineData("900101300017")]
    [InlineData("061211600012")]
    [InlineData("900101300811")] // the first weighted sum gives 10: the second weights decide
    public void NumbersWhoseCheckDigitMatchesAreValid(string number) =>
        Assert.True(KazakhIdNumber.IsValid(number));

    [Theory]
    [InlineData("900101300010")] // wrong check digit
    [InlineData("900101300018")]
    [InlineData("900101300810")] // second pass gives 1, not 0
    [InlineData("068709861190")] // both weighted sums give 10: no twelfth digit makes it valid
    [InlineData("068709861199")]
    [InlineData("90010130001")] // eleven digits
    [InlineData("9001013000170")] // thirteen
    [InlineData("9001 0130 0017")]
    [InlineData("90010130001x")]
    [InlineData("９００１０１３０００１７")] // full-width digits are not ASCII digits
    [InlineData("")]
    [InlineData(null)]
    public void AnythingElseIsInvalid(string? number) =>
        Assert.False(KazakhIdNumber.IsValid(number));
}

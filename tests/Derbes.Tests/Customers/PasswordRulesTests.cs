using Derbes.Web.Customers;
using Microsoft.Extensions.Options;

namespace Derbes.Tests.Customers;

public sealed class PasswordRulesTests
{
    private readonly PasswordRules _rules = new(Options.Create(new AccountOptions()));

    [Fact]
    public void TheListOfTenThousandCommonPasswordsShipsWithTheApp() =>
        Assert.InRange(PasswordRules.CommonCount, 9_900, 10_000);

    [Theory]
    [InlineData("password")]
    [InlineData("12345678")]
    [InlineData("Qwertyuiop")]
    [InlineData("iloveyou")]
    public void CommonPasswordsAreRefusedWhateverTheirCase(string password) =>
        Assert.Equal(PasswordProblem.Common, _rules.Check(password));

    [Theory]
    [InlineData("short")]
    [InlineData("1234567")]
    [InlineData("")]
    public void PasswordsUnderEightCharactersAreRefused(string password) =>
        Assert.Equal(PasswordProblem.TooShort, _rules.Check(password));

    [Fact]
    public void AnyUnicodeAndSpacesAreAllowedAndSixtyFourCharactersAreFine()
    {
        Assert.Equal(PasswordProblem.None, _rules.Check("жасыл алма бағы"));
        Assert.Equal(PasswordProblem.None, _rules.Check("пароль с пробелами и ёжиком"));
        Assert.Equal(PasswordProblem.None, _rules.Check(new string('ә', 64)));
        Assert.Equal(PasswordProblem.None, _rules.Check("🍎🍏🍐🍊🍋🍌🍉🍇"));
    }

    [Fact]
    public void OverTwoHundredFiftySixBytesIsAClearErrorNotAHash()
    {
        Assert.Equal(PasswordProblem.TooLong, _rules.Check(new string('a', 257)));
        Assert.Equal(PasswordProblem.TooLong, _rules.Check(new string('ә', 129)));
        Assert.Equal(PasswordProblem.TooLong, _rules.Check(new string('x', 1024 * 1024)));
    }

    [Fact]
    public void PasswordsMadeOfTheEmailPhoneOrNameAreRefused()
    {
        var personal = PasswordRules.PersonalParts("aigerim.s@example.kz", "+77011234567", "Айгерім", "Сәрсенова");
        Assert.Equal(PasswordProblem.ContainsPersonalData, _rules.Check("aigerim.s-2026!", personal));
        Assert.Equal(PasswordProblem.ContainsPersonalData, _rules.Check("my 7011234567 phone", personal));
        Assert.Equal(PasswordProblem.ContainsPersonalData, _rules.Check("АЙГЕРІМ таңертең", personal));
        Assert.Equal(PasswordProblem.None, _rules.Check("таңертеңгі шай дәмді", personal));
    }
}

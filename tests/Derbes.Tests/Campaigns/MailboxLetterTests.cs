using Derbes.Web.Campaigns;
using MimeKit;

namespace Derbes.Tests.Campaigns;

/// <summary>How a letter to the care address is read for an opt-out (policy 5.6): the words, the mailto's token, forged senders.</summary>
public sealed class MailboxLetterTests
{
    private const string Token = "AQ2s5kX1mP0aW9rT3yB7nC4dE8fG6hJ2kL5mN8pQ1rS4tU7vW0xY3z-_";

    [Theory]
    [InlineData("Unsubscribe", "")]
    [InlineData("  UNSUBSCRIBE!  ", "")]
    [InlineData("Re: unsubscribe.", "")]
    [InlineData("RE[2]: Fwd: Unsubscribe", "")]
    [InlineData("Отписаться", "")]
    [InlineData("Ответ: отписка", "")]
    [InlineData("«Отписаться»", "")]
    [InlineData("Жазылымнан бас тарту", "")]
    [InlineData("ЖАЗЫЛЫМНАН  БАС ТАРТУ", "")]
    [InlineData("Re: Жаңа жылдық жеңілдіктер", "жазылымнан бас тарту")]
    [InlineData("", "Отписаться.")]
    [InlineData(null, "unsubscribe")]
    public void TheWordsInTheSubjectOrTheFirstLineAskToUnsubscribe(string? subject, string firstLine) =>
        Assert.Equal(LetterRequest.Words, MailboxLetter.Read(subject, firstLine, out _));

    [Theory]
    [InlineData("Дүкеннің жұмыс уақыты", "Сәлеметсіз бе!")]
    [InlineData("How do I unsubscribe?", "")]
    [InlineData("Please do not unsubscribe me", "")]
    [InlineData("Re: скидки", "Отписаться от чего? Я ничего не получал")]
    [InlineData("unsubscribe me from nothing", "")]
    [InlineData("unsubscribe abc", "")]
    [InlineData("", "")]
    public void AnythingElseIsALetterForTheStaff(string subject, string firstLine) =>
        Assert.Equal(LetterRequest.None, MailboxLetter.Read(subject, firstLine, out _));

    [Theory]
    [InlineData("unsubscribe " + Token)]
    [InlineData("Re: unsubscribe " + Token)]
    [InlineData("UNSUBSCRIBE   " + Token)]
    public void TheMailtosSubjectClaimsItsTokenWithItsCaseKept(string subject)
    {
        Assert.Equal(LetterRequest.Token, MailboxLetter.Read(subject, "whatever", out var token));
        Assert.Equal(Token, token);
    }

    [Fact]
    public void TheFirstLineIsTheFirstThatIsNotBlank() =>
        Assert.Equal("Отписаться", MailboxLetter.FirstLine("\r\n   \r\n  Отписаться\r\n> quoted"));

    [Theory]
    [InlineData("mx.small.kz; dmarc=fail (p=reject) header.from=example.kz", true)]
    [InlineData("mx.small.kz; spf=fail smtp.mailfrom=someone@example.kz", true)]
    [InlineData("mx.small.kz; dkim=fail header.d=example.kz", true)]
    [InlineData("mx.small.kz; dkim=fail header.i=@mail.example.kz", true)]
    [InlineData("mx.small.kz; dkim=fail", true)]
    [InlineData("mx.small.kz; dkim=fail header.d=lists.example.org; spf=pass smtp.mailfrom=example.kz; dmarc=pass header.from=example.kz", false)]
    [InlineData("mx.small.kz; spf=softfail smtp.mailfrom=example.kz; dkim=none; dmarc=none header.from=example.kz", false)]
    [InlineData("mx.small.kz; dkim=pass header.d=example.kz; spf=pass smtp.mailfrom=example.kz; dmarc=pass header.from=example.kz", false)]
    [InlineData("this is not ; an (authentication result dmarc=fail", true)]
    public void ASenderIsDoubtedOnlyWhenTheCheckFailedForItsOwnDomain(string results, bool fails)
    {
        var headers = new HeaderList { new Header(HeaderId.AuthenticationResults, results) };
        Assert.Equal(fails, MailboxLetter.FailsAuthentication(headers, MailboxAddress.Parse("someone@example.kz")));
    }

    [Fact]
    public void WithoutAuthenticationResultsNothingIsDoubted() =>
        Assert.False(MailboxLetter.FailsAuthentication([], MailboxAddress.Parse("someone@example.kz")));
}

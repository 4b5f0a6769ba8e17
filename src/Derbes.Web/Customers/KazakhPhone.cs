using PhoneNumbers;

namespace Derbes.Web.Customers;

/// <summary>
/// Kazakhstan mobile numbers as people type them (<c>8 701 123 45 67</c>, <c>+7 (701) 123-45-67</c>,
/// <c>77011234567</c>), validated by libphonenumber as region KZ, type mobile, and kept as E.164.
/// Kazakhstan shares +7 with Russia: a Russian +7 9xx number parses but is not a KZ number, and is refused.
/// </summary>
public static class KazakhPhone
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static bool TryNormalise(string? typed, out string e164) => TryNormalise(typed, mobileOnly: true, out e164);

    /// <summary>
    /// Any Kazakhstan number, landline or mobile, kept as E.164: for an office contact (the person responsible
    /// for personal data, Art. 25) whose desk phone is a landline. Never for a customer's number, which receives codes by SMS.
    /// </summary>
    public static bool TryNormaliseAnyLine(string? typed, out string e164) => TryNormalise(typed, mobileOnly: false, out e164);

    private static bool TryNormalise(string? typed, bool mobileOnly, out string e164)
    {
        e164 = "";
        if (string.IsNullOrWhiteSpace(typed) || typed.Length > 32)
        {
            return false;
        }
        var text = typed.Trim();
        // "77011234567" typed without '+' is the international form without its sign.
        var digits = new string(text.Where(char.IsAsciiDigit).ToArray());
        if (!text.StartsWith('+') && digits.Length == 11 && digits[0] == '7')
        {
            text = "+" + digits;
        }
        PhoneNumber number;
        try
        {
            number = Util.Parse(text, "KZ");
        }
        catch (NumberParseException)
        {
            return false;
        }
        if (!Util.IsValidNumberForRegion(number, "KZ"))
        {
            return false;
        }
        var type = Util.GetNumberType(number);
        if (mobileOnly && type is not (PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
        {
            return false;
        }
        e164 = Util.Format(number, PhoneNumberFormat.E164);
        return true;
    }

    /// <summary>A number that looks like an attempt at a phone (for sign-in by phone): digits, spaces, +, (), -.</summary>
    public static bool LooksLikePhone(string? typed) =>
        !string.IsNullOrWhiteSpace(typed) && !typed.Contains('@', StringComparison.Ordinal)
        && typed.All(c => char.IsAsciiDigit(c) || c is ' ' or '+' or '(' or ')' or '-');
}

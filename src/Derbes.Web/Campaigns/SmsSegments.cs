namespace Derbes.Web.Campaigns;

/// <summary>How many SMS a text takes (3GPP TS 23.038): what the sender pays and the customer's phone joins.</summary>
public sealed record SmsLength(int Characters, int Segments, bool Unicode);

/// <summary>
/// Counts a text the way the network does: in the GSM 7-bit alphabet 160 characters fit one SMS and 153 each part of a
/// longer one (an extension character such as € or [ counts twice); any other character (Cyrillic, Kazakh letters)
/// makes the whole text UCS-2: 70 in one SMS, 67 each part. The campaign form's counter (site.js) counts the same.
/// </summary>
public static class SmsSegments
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "^{}\\[~]|€\f";

    public static SmsLength Measure(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var septets = 0;
        foreach (var c in text)
        {
            if (Basic.Contains(c, StringComparison.Ordinal))
            {
                septets++;
            }
            else if (Extension.Contains(c, StringComparison.Ordinal))
            {
                septets += 2;
            }
            else
            {
                // UCS-2 counts UTF-16 code units: an emoji (a surrogate pair) takes two.
                var units = text.Length;
                return new SmsLength(units, units <= 70 ? 1 : (units + 66) / 67, true);
            }
        }
        return new SmsLength(septets, septets == 0 ? 0 : septets <= 160 ? 1 : (septets + 152) / 153, false);
    }
}

using Derbes.Web.Localization;
using Microsoft.Extensions.Localization;

namespace Derbes.Web.Consents;

/// <summary>
/// The words of each consent as the customer is shown them, in their language: the ledger keeps the hash of
/// exactly these words, whatever channel the decision came by.
/// </summary>
public static class ConsentWording
{
    public static string Key(ConsentPurpose purpose) => purpose switch
    {
        ConsentPurpose.Processing => "Register.ConsentProcessing",
        ConsentPurpose.OwnDataAttestation => "Register.AttestOwnData",
        ConsentPurpose.AdvertisingEmail => "Register.AdvertisingEmail",
        ConsentPurpose.AdvertisingSms => "Register.AdvertisingSms",
        _ => "Consents.ThirdPartyTransferText",
    };

    public static string Text(IStringLocalizer<SharedResource> l, ConsentPurpose purpose, int edition, string language)
    {
        ArgumentNullException.ThrowIfNull(l);
        return Languages.In(language, () => l[Key(purpose), edition].Value);
    }
}

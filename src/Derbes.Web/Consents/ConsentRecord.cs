using System.Globalization;
using Derbes.Web.Data;

namespace Derbes.Web.Consents;

/// <summary>The purposes a customer agrees to, each recorded on its own (Art. 7 p.6, policy 2.2).</summary>
public enum ConsentPurpose
{
    /// <summary>Processing to provide the services, identify and interact (2.2.1–2.2.3); required for an account.</summary>
    Processing = 0,
    /// <summary>The attestation that the data and documents are the customer's own (policy 2.4).</summary>
    OwnDataAttestation = 1,
    /// <summary>Advertising, information and surveys by email (2.2.4).</summary>
    AdvertisingEmail = 2,
    /// <summary>Advertising, information and surveys by SMS (2.2.4).</summary>
    AdvertisingSms = 3,
    /// <summary>Transfer to third parties (policy 3.5.1; Art. 7 p.6 asks for it separately).</summary>
    ThirdPartyTransfer = 4,
}

/// <summary>
/// One line of the consent ledger (Art. 22 p.1: the operator registers every consent). Append-only and
/// hash-chained: each record's hash covers the previous one, so a removed or edited line is detectable.
/// </summary>
public sealed class ConsentRecord : IChainedRecord
{
    public long Id { get; set; }
    public Guid AccountId { get; set; }
    public ConsentPurpose Purpose { get; set; }
    public bool Granted { get; set; }
    public int EditionNumber { get; set; }
    public string Language { get; set; } = "";
    /// <summary>SHA-256 of the exact text shown to the customer; the text itself is in <see cref="ConsentText"/>.</summary>
    public string TextSha256 { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public string Ip { get; set; } = "";
    public string UserAgent { get; set; } = "";
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";

    public string CanonicalContent() => HashChain.Canonical(
        AccountId.ToString("N"), Purpose.ToString(), Granted ? "1" : "0",
        EditionNumber.ToString(CultureInfo.InvariantCulture), Language, TextSha256,
        At.UtcTicks.ToString(CultureInfo.InvariantCulture), Ip, UserAgent);
}

/// <summary>Every distinct consent wording ever shown, by its hash, so a record proves the words agreed to.</summary>
public sealed class ConsentText
{
    public string Sha256 { get; set; } = "";
    public string Language { get; set; } = "";
    public string Text { get; set; } = "";
}

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

/// <summary>What a ledger record says the customer did.</summary>
public enum ConsentAction
{
    Grant = 0,
    Withdraw = 1,
    /// <summary>Read a new edition of the policy that did not need their agreement again (they were informed).</summary>
    Acknowledge = 2,
    /// <summary>Agreed again to a new edition that changed purposes or recipients (Art. 7 p.6, 15 p.2).</summary>
    Reconsent = 3,
    /// <summary>A withdrawal the operator refused with reasons, because an obligation is still open (Art. 8 p.2).</summary>
    WithdrawalRefused = 4,
}

/// <summary>How the customer's decision reached the operator.</summary>
public enum ConsentChannel
{
    WebForm = 0,
    EmailLink = 1,
    /// <summary>Entered by a member of staff from a letter (the record names them and the letter's reference).</summary>
    StaffEntry = 2,
    Api = 3,
    /// <summary>A reply STOP to an SMS, delivered by the SMS gateway.</summary>
    SmsReply = 4,
    /// <summary>An email to the care address asking to unsubscribe, read from its mailbox.</summary>
    Mailbox = 5,
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
    /// <summary>Whether, after this record, the customer agrees to the purpose.</summary>
    public bool Granted { get; set; }
    public ConsentAction Action { get; set; }
    public ConsentChannel Channel { get; set; }
    /// <summary>For a staff entry: who entered it.</summary>
    public Guid? StaffId { get; set; }
    /// <summary>For a staff entry: the letter's reference; for a refused withdrawal: the open obligation.</summary>
    public string Reference { get; set; } = "";
    public int EditionNumber { get; set; }
    public string Language { get; set; } = "";
    /// <summary>SHA-256 of the exact text shown to the customer; the text itself is in <see cref="ConsentText"/>.</summary>
    public string TextSha256 { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public string Ip { get; set; } = "";
    public string UserAgent { get; set; } = "";
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";

    /// <summary>
    /// A grant or withdrawal by web form, as every record was before actions and channels were recorded: such a
    /// record is hashed exactly as then, so ledgers written before still verify.
    /// </summary>
    private bool IsFirstShape =>
        Action == (Granted ? ConsentAction.Grant : ConsentAction.Withdraw) && Channel == ConsentChannel.WebForm && StaffId is null && Reference.Length == 0;

    public string CanonicalContent()
    {
        string[] fields = [
            AccountId.ToString("N"), Purpose.ToString(), Granted ? "1" : "0",
            EditionNumber.ToString(CultureInfo.InvariantCulture), Language, TextSha256,
            At.UtcTicks.ToString(CultureInfo.InvariantCulture), Ip, UserAgent];
        // Any other action, channel, staff member or reference adds four fields, so changing one of them (or
        // setting it back to the first shape) changes the hash.
        return IsFirstShape
            ? HashChain.Canonical(fields)
            : HashChain.Canonical([.. fields, Action.ToString(), Channel.ToString(), StaffId?.ToString("N") ?? "", Reference]);
    }
}

/// <summary>Every distinct consent wording ever shown, by its hash, so a record proves the words agreed to.</summary>
public sealed class ConsentText
{
    public string Sha256 { get; set; } = "";
    public string Language { get; set; } = "";
    public string Text { get; set; } = "";
}

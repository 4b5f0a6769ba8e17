using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Data;

namespace Derbes.Web.Consents;

/// <summary>Adds consent records, with the exact wording shown, to the caller's unit of work.</summary>
public sealed class ConsentLedger(DerbesDb db, IHttpContextAccessor http, TimeProvider clock)
{
    private readonly HashSet<string> _textsAdded = [];

    public ConsentRecord Record(Guid accountId, ConsentPurpose purpose, bool granted, int edition, string language, string textShown)
    {
        ArgumentNullException.ThrowIfNull(textShown);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(textShown)));
        if (_textsAdded.Add(sha))
        {
            // Kept only if no other request stored the same wording first: DerbesDb decides that under the chain
            // lock, when it saves, so two first registrations at once (on any instances) cannot collide.
            db.ConsentTexts.Add(new ConsentText { Sha256 = sha, Language = language, Text = textShown });
        }
        var request = http.HttpContext?.Request;
        var userAgent = request?.Headers.UserAgent.ToString() ?? "";
        var record = new ConsentRecord
        {
            AccountId = accountId,
            Purpose = purpose,
            Granted = granted,
            EditionNumber = edition,
            Language = language,
            TextSha256 = sha,
            At = clock.GetUtcNow(),
            Ip = http.HttpContext?.Connection.RemoteIpAddress?.ToString() ?? "",
            UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent,
        };
        db.ConsentRecords.Add(record);
        return record;
    }
}

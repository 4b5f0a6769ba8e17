using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Consents;

/// <summary>Adds consent records, with the exact wording shown, to the caller's unit of work.</summary>
public sealed class ConsentLedger(DerbesDb db, IHttpContextAccessor http, TimeProvider clock)
{
    private readonly HashSet<string> _textsAdded = [];

    /// <summary>
    /// The records that say "declined": a withdrawal of a purpose never agreed to before is how registration records
    /// an unticked box, and the cabinet and the export name it so rather than "withdrawn". <paramref name="records"/>
    /// are one customer's, oldest first.
    /// </summary>
    public static HashSet<long> Declined(IEnumerable<ConsentRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var agreedBefore = new HashSet<ConsentPurpose>();
        var declined = new HashSet<long>();
        foreach (var record in records)
        {
            if (record.Action == ConsentAction.Withdraw && !agreedBefore.Contains(record.Purpose))
            {
                declined.Add(record.Id);
            }
            if (record.Granted)
            {
                agreedBefore.Add(record.Purpose);
            }
        }
        return declined;
    }

    /// <summary>
    /// Adds one record. <paramref name="action"/> defaults to a grant or a withdrawal as <paramref name="granted"/>
    /// says; a staff entry names the member of staff and the letter's reference.
    /// </summary>
    public ConsentRecord Record(
        Guid accountId,
        ConsentPurpose purpose,
        bool granted,
        int edition,
        string language,
        string textShown,
        ConsentAction? action = null,
        ConsentChannel channel = ConsentChannel.WebForm,
        Guid? staffId = null,
        string reference = "")
    {
        ArgumentNullException.ThrowIfNull(reference);
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
            Action = action ?? (granted ? ConsentAction.Grant : ConsentAction.Withdraw),
            Channel = channel,
            StaffId = staffId,
            Reference = reference.Length <= 64 ? reference : reference[..64],
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

    /// <summary>The latest record of each purpose the customer has one for: whether they agree now, and since when.</summary>
    public async Task<Dictionary<ConsentPurpose, ConsentRecord>> CurrentAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var records = await db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == accountId).OrderBy(c => c.Id).ToListAsync(cancellationToken);
        var current = new Dictionary<ConsentPurpose, ConsentRecord>();
        foreach (var record in records)
        {
            current[record.Purpose] = record;
        }
        return current;
    }

    /// <summary>
    /// Of the given accounts, those whose latest record for <paramref name="purpose"/> is a grant: a consent is
    /// active until it is withdrawn, and the ledger's order (its ids) says which came last.
    /// </summary>
    public async Task<HashSet<Guid>> WhoHaveAgreedAsync(IReadOnlyCollection<Guid> accounts, ConsentPurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var latest = new Dictionary<Guid, (long Id, bool Granted)>();
        foreach (var chunk in accounts.Distinct().Chunk(1000))
        {
            var records = await db.ConsentRecords.AsNoTracking()
                .Where(c => c.Purpose == purpose && chunk.Contains(c.AccountId))
                .Select(c => new { c.Id, c.AccountId, c.Granted })
                .ToListAsync(cancellationToken);
            foreach (var r in records)
            {
                if (!latest.TryGetValue(r.AccountId, out var seen) || r.Id > seen.Id)
                {
                    latest[r.AccountId] = (r.Id, r.Granted);
                }
            }
        }
        return [.. latest.Where(p => p.Value.Granted).Select(p => p.Key)];
    }
}

using System.Security.Cryptography;
using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Privacy;

public enum PublishOutcome
{
    Published,
    /// <summary>Kazakh or Russian (or a begun English text) lacks a title, summary or body; see <see cref="PublishResult.Missing"/>.</summary>
    Incomplete,
    /// <summary>The draft was saved again, published or deleted since the officer looked at it: nothing was published.</summary>
    Stale,
}

public sealed record PublishResult(PublishOutcome Outcome, int Number = 0, IReadOnlyList<(string Language, string Field)>? Missing = null);

/// <summary>
/// Turns the draft into the next edition (policy 5.4: in force from publication). The number, the edition, the
/// draft's deletion and the "policy.published" audit entry are one transaction under the lock that serialises
/// chain writers, so two officers pressing "publish" at once get one edition: the second finds the draft gone.
/// Should that lock ever be bypassed, the edition number's primary key and the draft's version still refuse the
/// second insert.
/// </summary>
public sealed class PolicyPublisher(DerbesDb db, AuditTrail audit, TimeProvider clock)
{
    public async Task<PublishResult> PublishAsync(Guid version, CancellationToken cancellationToken)
    {
        try
        {
            return await db.WithChainLockAsync(async ct =>
            {
                var draft = await db.PolicyDrafts.Include(d => d.Texts).SingleOrDefaultAsync(d => d.Id == PolicyDraft.TheId, ct);
                if (draft is null || draft.Version != version)
                {
                    return new PublishResult(PublishOutcome.Stale);
                }
                var missing = draft.MissingForPublication();
                if (missing.Count > 0)
                {
                    return new PublishResult(PublishOutcome.Incomplete, Missing: missing);
                }
                var number = (await db.PolicyEditions.MaxAsync(e => (int?)e.Number, ct) ?? 0) + 1;
                var edition = new PolicyEdition { Number = number, PublishedAt = clock.GetUtcNow(), RequiresReconsent = draft.ChangesPurposes };
                foreach (var text in draft.Texts.Where(t => !t.IsEmpty).OrderBy(t => Array.IndexOf(Languages.All, t.Language)))
                {
                    edition.Texts.Add(new PolicyText
                    {
                        EditionNumber = number,
                        Language = text.Language,
                        // Kazakh is the authoritative text; the others say they are translations.
                        IsTranslation = text.Language != Languages.Kazakh,
                        Format = PolicyTextFormat.Markdown,
                        Title = text.Title,
                        Summary = text.Summary,
                        Body = text.Body,
                        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.Body))),
                    });
                }
                db.PolicyEditions.Add(edition);
                db.PolicyDrafts.Remove(draft);
                audit.Record("policy.published", $"edition:{number}", edition.RequiresReconsent ? "reconsent" : "inform");
                await db.SaveChangesAsync(ct);
                return new PublishResult(PublishOutcome.Published, number);
            }, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another instance published first (the number is taken or the draft is gone): nothing of ours was saved.
            db.ChangeTracker.Clear();
            return new PublishResult(PublishOutcome.Stale);
        }
    }
}

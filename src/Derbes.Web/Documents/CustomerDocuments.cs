using System.Text;
using Derbes.Web.Audit;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Messaging;
using Derbes.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

/// <summary>One of the customer's own documents as they see it: the name opened, the reviewer's note opened.</summary>
public sealed record OwnDocument(
    Guid Id,
    string FileName,
    string ContentType,
    long Size,
    DateTimeOffset UploadedAt,
    DocumentStatus Status,
    DateTimeOffset? ReviewedAt,
    RejectionReason? Rejection,
    string? Note,
    DateTimeOffset? PurgedAt)
{
    /// <summary>The type as a person names it (PDF, JPEG, PNG), decided by content at upload.</summary>
    public string Kind => ContentType switch
    {
        "application/pdf" => "PDF",
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        _ => ContentType,
    };

    /// <summary>
    /// A verified document is the proof the operator relies on (policy 1.6), so the customer cannot remove it
    /// here; they can ask for its destruction through a request, which a privacy officer decides.
    /// </summary>
    public bool CanDelete => Status != DocumentStatus.Verified;

    /// <summary>False once the file was destroyed at the end of its retention (the result stays).</summary>
    public bool HasFile => PurgedAt is null;
}

public enum UploadProblem
{
    None,
    /// <summary>No file was chosen.</summary>
    NoFile,
    /// <summary>More files in one upload than registration allows.</summary>
    TooMany,
    /// <summary>The customer already holds as many unverified documents as one registration may carry.</summary>
    TooManyHeld,
    /// <summary>At least one file failed the inspection; see the refusals. Nothing was stored.</summary>
    Refused,
    /// <summary>The document to replace is not the customer's, or no longer exists.</summary>
    NotFound,
    /// <summary>The document to replace was verified meanwhile; verified documents are not replaced by the customer.</summary>
    Verified,
}

/// <summary>The result of an upload: what was added, or why nothing was.</summary>
public sealed record DocumentUpload(UploadProblem Problem, IReadOnlyList<(string Name, DocumentRejection Rejection)> Refusals, IReadOnlyList<Guid> Added)
{
    public bool Succeeded => Problem == UploadProblem.None;

    internal static DocumentUpload Failed(UploadProblem problem, IReadOnlyList<(string, DocumentRejection)>? refusals = null) => new(problem, refusals ?? [], []);
}

public enum DeleteOutcome
{
    Deleted,
    /// <summary>Not the customer's document, or no such document: the two are not told apart.</summary>
    NotFound,
    /// <summary>Verified: kept (see <see cref="OwnDocument.CanDelete"/>).</summary>
    Verified,
}

/// <summary>
/// The customer's own documents (policy 1.6, Art. 24): the list with each review's result, their own file, another
/// document or a replacement, and deleting one that is not verified. Every method takes the signed-in customer's
/// account id and acts only on that customer's rows: another customer's document is "not found", exactly like one
/// that does not exist. Shared by the cabinet pages and the mobile API.
/// </summary>
/// <remarks>
/// Uploads pass the very checks of registration (<see cref="DocumentInspector"/>: size, malware scan, type by
/// content, PDF inspection, image re-encoding) and are stored by <see cref="DocumentIntake"/>, sealed with the
/// customer's key, awaiting review like any new document: the staff queue shows them with the others.
/// A deleted or replaced document is destroyed outright: its bytes leave the store and its row the database. It
/// was never verified, so nothing relies on it (unlike a verified one, whose result <see cref="DocumentRetention"/>
/// keeps after destroying the file); keeping a row would keep the cleaned file name and the reviewer's note, personal
/// data without a purpose (Art. 7 p.9). The audit trail keeps the fact: uploaded, rejected (with the reason), deleted.
/// </remarks>
public sealed class CustomerDocuments(
    DerbesDb db,
    PersonalDataVault vault,
    IDocumentStore store,
    DocumentInspector inspector,
    DocumentIntake intake,
    AccountDirectory directory,
    AccountMessages messages,
    AuditTrail audit,
    IOptions<DocumentOptions> documentOptions,
    IOptions<AccountOptions> accountOptions)
{
    public DocumentOptions Limits => documentOptions.Value;

    /// <summary>The customer's documents, newest first.</summary>
    public async Task<List<OwnDocument>> ListAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var rows = await db.Documents.AsNoTracking().Where(d => d.AccountId == accountId).ToListAsync(cancellationToken);
        return [.. rows.OrderByDescending(d => d.UploadedAt).ThenBy(d => d.Id).Select(View)];
    }

    /// <summary>One of the customer's documents; null when it is not theirs or does not exist.</summary>
    public async Task<OwnDocument?> FindAsync(Guid accountId, Guid id, CancellationToken cancellationToken)
    {
        var row = await FindRowAsync(accountId, id, cancellationToken);
        return row is null ? null : View(row);
    }

    /// <summary>
    /// The customer's own file, opened; the download is audited. Null when it is not theirs, does not exist or its
    /// file was destroyed at the end of its retention.
    /// </summary>
    public async Task<(OwnDocument Document, byte[] Bytes)?> OpenAsync(Guid accountId, Guid id, CancellationToken cancellationToken)
    {
        var row = await FindRowAsync(accountId, id, cancellationToken);
        var sealedBytes = row is null || row.PurgedAt is not null ? null : await store.GetAsync(row.StorageName, cancellationToken);
        if (row is null || sealedBytes is null)
        {
            return null;
        }
        var bytes = vault.Open(accountId, DocumentIntake.FieldOf(row.Id), sealedBytes);
        audit.Record("document.downloaded", accountId, outcome: Marker(row.Id));
        await db.SaveChangesAsync(cancellationToken);
        return (View(row), bytes);
    }

    /// <summary>
    /// Inspects the files and, when every one passes, stores them awaiting review; with <paramref name="replacing"/>,
    /// the one file takes the place of that (unverified) document, which is destroyed. All or nothing. The customer
    /// is told by email that the documents were received.
    /// </summary>
    public async Task<DocumentUpload> UploadAsync(Guid accountId, IReadOnlyList<IFormFile> files, Guid? replacing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var limits = documentOptions.Value;
        var chosen = files.Where(f => f.Length > 0 || !string.IsNullOrEmpty(f.FileName)).ToList();
        if (chosen.Count == 0)
        {
            return DocumentUpload.Failed(UploadProblem.NoFile);
        }
        // A replacement is one file for one document; otherwise as many as one registration may carry.
        if (chosen.Count > (replacing is null ? limits.MaxFiles : 1))
        {
            return DocumentUpload.Failed(UploadProblem.TooMany);
        }
        CustomerDocument? old = null;
        if (replacing is { } replacedId)
        {
            old = await FindRowAsync(accountId, replacedId, cancellationToken);
            if (old is null)
            {
                return DocumentUpload.Failed(UploadProblem.NotFound);
            }
            if (old.Status == DocumentStatus.Verified)
            {
                return DocumentUpload.Failed(UploadProblem.Verified);
            }
        }

        var accepted = new List<(InspectedDocument Document, string Name)>();
        var refusals = new List<(string, DocumentRejection)>();
        foreach (var file in chosen)
        {
            var name = DocumentFileName.Clean(file.FileName);
            // Refused before reading: the form reader already stopped a part larger than the limit.
            if (file.Length > limits.MaxFileBytes)
            {
                refusals.Add((name, DocumentRejection.TooLarge));
                continue;
            }
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            var inspection = await inspector.InspectAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
            if (inspection.Document is null)
            {
                refusals.Add((name, inspection.Rejection));
                continue;
            }
            accepted.Add((inspection.Document, name));
        }
        if (refusals.Count > 0)
        {
            return DocumentUpload.Failed(UploadProblem.Refused, refusals);
        }

        var account = await db.Users.AsNoTracking().SingleAsync(a => a.Id == accountId, cancellationToken);
        // The sealed bytes go to the store first, outside the lock below (a large file to an object store takes a
        // moment); if the rows are not saved after all, they are removed again.
        var added = new List<CustomerDocument>();
        try
        {
            foreach (var (document, name) in accepted)
            {
                added.Add(await intake.AddAsync(accountId, document, name, accountOptions.Value.DocumentReviewDue, cancellationToken));
            }
            // Under the chain lock, in one transaction: the quota is counted, the old row removed, the new ones and
            // their audit entries saved, and the old file destroyed, with no other upload or review in between.
            var problem = await db.WithChainLockAsync(async ct =>
            {
                if (old is not null)
                {
                    var removed = await db.Documents
                        .Where(d => d.Id == old.Id && d.AccountId == accountId && d.Status != DocumentStatus.Verified)
                        .ExecuteDeleteAsync(ct);
                    if (removed == 0)
                    {
                        return await db.Documents.AnyAsync(d => d.Id == old.Id && d.AccountId == accountId, ct) ? UploadProblem.Verified : UploadProblem.NotFound;
                    }
                }
                else
                {
                    var held = await db.Documents.CountAsync(d => d.AccountId == accountId && d.Status != DocumentStatus.Verified, ct);
                    if (held + added.Count > limits.MaxFiles)
                    {
                        return UploadProblem.TooManyHeld;
                    }
                }
                foreach (var document in added)
                {
                    audit.Record("document.uploaded", accountId, outcome: Marker(document.Id));
                }
                if (old is not null)
                {
                    audit.Record("document.replaced", accountId, outcome: Marker(old.Id) + ":" + old.Status + " by " + Marker(added[0].Id));
                }
                messages.DocumentsReceived(account, directory.Open(account), added.Count);
                await db.SaveChangesAsync(ct);
                if (old is not null)
                {
                    // Last, so that a store that cannot delete rolls the whole replacement back.
                    await store.DeleteAsync(old.StorageName, ct);
                }
                return UploadProblem.None;
            }, cancellationToken);
            if (problem != UploadProblem.None)
            {
                await ForgetAsync(added);
                return DocumentUpload.Failed(problem);
            }
        }
        catch
        {
            await ForgetAsync(added);
            throw;
        }
        return new(UploadProblem.None, [], [.. added.Select(d => d.Id)]);
    }

    /// <summary>
    /// Destroys a document that is not verified: its row and, in the same transaction, its file. A verified one is
    /// kept (see <see cref="OwnDocument.CanDelete"/>); a verification that lands first wins.
    /// </summary>
    public async Task<DeleteOutcome> DeleteAsync(Guid accountId, Guid id, CancellationToken cancellationToken)
    {
        var row = await FindRowAsync(accountId, id, cancellationToken);
        if (row is null)
        {
            return DeleteOutcome.NotFound;
        }
        if (row.Status == DocumentStatus.Verified)
        {
            return DeleteOutcome.Verified;
        }
        return await db.WithChainLockAsync(async ct =>
        {
            // Conditional: of a reviewer verifying and the customer deleting at once, exactly one wins.
            var removed = await db.Documents
                .Where(d => d.Id == id && d.AccountId == accountId && d.Status != DocumentStatus.Verified)
                .ExecuteDeleteAsync(ct);
            if (removed == 0)
            {
                return await db.Documents.AnyAsync(d => d.Id == id && d.AccountId == accountId, ct) ? DeleteOutcome.Verified : DeleteOutcome.NotFound;
            }
            audit.Record("document.deleted", accountId, outcome: Marker(id) + ":" + row.Status);
            await db.SaveChangesAsync(ct);
            // Last, inside the transaction: if the store cannot delete, the row comes back and the customer can try
            // again; the row is never gone while its file stays.
            await store.DeleteAsync(row.StorageName, ct);
            return DeleteOutcome.Deleted;
        }, cancellationToken);
    }

    /// <summary>
    /// The name a download is saved under: the cleaned name with the extension of the type found by content (so a
    /// "scan.exe" that is a PDF is saved as "scan.pdf"), without the characters file systems refuse.
    /// </summary>
    public static string DownloadName(OwnDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var extension = document.ContentType switch
        {
            "application/pdf" => ".pdf",
            "image/png" => ".png",
            _ => ".jpg",
        };
        var stem = Path.GetFileNameWithoutExtension(document.FileName);
        var safe = new StringBuilder(stem.Length);
        foreach (var c in stem)
        {
            safe.Append(c is '<' or '>' or ':' or '"' or '/' or '\\' or '|' or '?' or '*' or ';' or ',' || char.IsControl(c) ? '_' : c);
        }
        var name = safe.ToString().Trim(' ', '.');
        return (name.Length == 0 ? DocumentFileName.Fallback : name) + extension;
    }

    private Task<CustomerDocument?> FindRowAsync(Guid accountId, Guid id, CancellationToken cancellationToken) =>
        db.Documents.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id && d.AccountId == accountId, cancellationToken);

    private OwnDocument View(CustomerDocument d) => new(
        d.Id,
        d.SealedOriginalName.Length == 0 ? DocumentFileName.Fallback : vault.OpenString(d.AccountId, DocumentIntake.FieldOf(d.Id) + ":name", d.SealedOriginalName),
        d.ContentType,
        d.Size,
        d.UploadedAt,
        d.Status,
        d.ReviewedAt,
        d.Rejection,
        d.SealedNote is null ? null : vault.OpenString(d.AccountId, DocumentIntake.FieldOf(d.Id) + ":note", d.SealedNote),
        d.PurgedAt);

    // Not saved after all: the new rows leave the context and their files the store.
    private async Task ForgetAsync(List<CustomerDocument> added)
    {
        foreach (var document in added)
        {
            db.Entry(document).State = EntityState.Detached;
            try
            {
                await store.DeleteAsync(document.StorageName, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Sealed with the customer's key and named by nobody: unreadable, and destroyed with the key.
            }
        }
    }

    private static string Marker(Guid id) => "document:" + id.ToString("N")[..12];
}

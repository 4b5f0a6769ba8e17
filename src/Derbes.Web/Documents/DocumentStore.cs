using System.Security.Cryptography;
using Derbes.Web.Data;
using Derbes.Web.Security;

namespace Derbes.Web.Documents;

/// <summary>
/// Where document bytes live: outside the web root, under server-generated names, sealed with the owner's
/// data key before they touch the disk. The local folder is the default; an object store can replace it.
/// </summary>
public interface IDocumentStore
{
    Task PutAsync(string storageName, byte[] sealedBytes, CancellationToken cancellationToken);
    Task<byte[]?> GetAsync(string storageName, CancellationToken cancellationToken);
    Task DeleteAsync(string storageName, CancellationToken cancellationToken);
}

public sealed class FileSystemDocumentStore(DataDirectory data) : IDocumentStore
{
    private string PathOf(string storageName)
    {
        if (storageName.Length != 32 || !storageName.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a storage name.", nameof(storageName));
        }
        return Path.Combine(data.Resolve("documents"), storageName[..2], storageName);
    }

    public async Task PutAsync(string storageName, byte[] sealedBytes, CancellationToken cancellationToken)
    {
        var path = PathOf(storageName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, sealedBytes, cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string storageName, CancellationToken cancellationToken)
    {
        var path = PathOf(storageName);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    public Task DeleteAsync(string storageName, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(storageName));
        return Task.CompletedTask;
    }
}

/// <summary>Seals and stores an accepted document for its owner and records it, awaiting review.</summary>
public sealed class DocumentIntake(DerbesDb db, PersonalDataVault vault, IDocumentStore store, TimeProvider clock)
{
    public static string FieldOf(Guid documentId) => "document:" + documentId.ToString("N");

    public async Task<CustomerDocument> AddAsync(Guid accountId, InspectedDocument document, string originalName, TimeSpan reviewDue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var id = Guid.NewGuid();
        var storageName = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await store.PutAsync(storageName, vault.Seal(accountId, FieldOf(id), document.Bytes), cancellationToken);
        var now = clock.GetUtcNow();
        var record = new CustomerDocument
        {
            Id = id,
            AccountId = accountId,
            StorageName = storageName,
            SealedOriginalName = vault.Seal(accountId, FieldOf(id) + ":name", DocumentFileName.Clean(originalName)),
            ContentType = document.ContentType,
            Size = document.Bytes.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(document.Bytes)),
            Status = DocumentStatus.AwaitingReview,
            UploadedAt = now,
            ReviewDueAt = now + reviewDue,
        };
        db.Documents.Add(record);
        return record;
    }
}

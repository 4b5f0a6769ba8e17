using Derbes.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Documents;

/// <summary>
/// A file in the document store that must be deleted. Destroying a customer queues their files here in the same
/// transaction that removes their rows and destroys their key, and the files are deleted afterwards: a crash in
/// between leaves the queue, and the next run finishes it. The files are unreadable from the moment the key is
/// gone (they were sealed with it); deleting them frees the space and leaves nothing behind.
/// </summary>
public sealed class StoreDeletion
{
    public long Id { get; set; }
    public string StorageName { get; set; } = "";
    public DateTimeOffset QueuedAt { get; set; }

    /// <summary>
    /// Deletes the queued files, each before its queue row, and returns how many; a file the store cannot delete now
    /// stays queued (the exception goes up) for the next run. Deleting a file that is already gone succeeds: two
    /// instances, or a run after a crash, may meet the same one.
    /// </summary>
    public static async Task<int> DrainAsync(DerbesDb db, IDocumentStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(store);
        var deleted = 0;
        while (true)
        {
            var batch = await db.StoreDeletions.AsNoTracking().OrderBy(d => d.Id).Take(100).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return deleted;
            }
            foreach (var file in batch)
            {
                await store.DeleteAsync(file.StorageName, cancellationToken);
                await db.StoreDeletions.Where(d => d.Id == file.Id).ExecuteDeleteAsync(cancellationToken);
                deleted++;
            }
        }
    }
}

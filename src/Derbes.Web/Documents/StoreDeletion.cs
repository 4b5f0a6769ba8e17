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
}

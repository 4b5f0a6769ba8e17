using Microsoft.Extensions.Options;

namespace Derbes.Web.Documents;

/// <summary>
/// Decides, by content alone, whether an uploaded identity document is acceptable, and produces
/// the bytes to store. The file name and the client's Content-Type are never consulted.
/// </summary>
/// <remarks>
/// Order: empty, size, malware scan, type by magic bytes, then the type's own checks. Images are
/// decoded and re-encoded (metadata dropped); PDFs are checked and stored unchanged.
/// The work is CPU-bound and runs on the calling thread. At most one inspection per core runs at once:
/// decoding a large photo takes hundreds of megabytes, so a burst of uploads queues instead of
/// exhausting memory.
/// </remarks>
public sealed class DocumentInspector(IMalwareScanner scanner, IOptions<DocumentOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public async Task<DocumentInspection> InspectAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await InspectOneAsync(content, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<DocumentInspection> InspectOneAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var limits = options.Value;
        if (content.IsEmpty)
        {
            return DocumentInspection.Reject(DocumentRejection.Empty);
        }

        if (content.Length > limits.MaxFileBytes)
        {
            return DocumentInspection.Reject(DocumentRejection.TooLarge);
        }

        if (!await scanner.IsCleanAsync(content, cancellationToken).ConfigureAwait(false))
        {
            return DocumentInspection.Reject(DocumentRejection.Malware);
        }

        var kind = DocumentSniffer.Detect(content.Span);
        if (kind is null)
        {
            return DocumentInspection.Reject(DocumentRejection.NotAllowedType);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (kind == DocumentKind.Pdf)
        {
            var pdf = content.ToArray();
            var rejection = PdfInspector.Inspect(pdf, cancellationToken);
            return rejection == DocumentRejection.None
                ? DocumentInspection.Accept(new InspectedDocument(DocumentKind.Pdf, "application/pdf", ".pdf", pdf, null, null))
                : DocumentInspection.Reject(rejection);
        }

        return ImageSanitizer.Sanitize(kind.Value, content, limits);
    }
}

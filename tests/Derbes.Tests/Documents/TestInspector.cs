using Derbes.Web.Documents;
using Microsoft.Extensions.Options;

namespace Derbes.Tests.Documents;

/// <summary>Builds a <see cref="DocumentInspector"/> with the default scanner and options unless told otherwise.</summary>
internal static class TestInspector
{
    public static DocumentInspector Create(DocumentOptions? options = null, IMalwareScanner? scanner = null) =>
        new(scanner ?? new SignatureMalwareScanner(), Options.Create(options ?? new DocumentOptions()));

    public static Task<DocumentInspection> InspectAsync(byte[] content, DocumentOptions? options = null) =>
        Create(options).InspectAsync(content, CancellationToken.None);
}

/// <summary>A scanner that gives a fixed verdict and counts its calls.</summary>
internal sealed class RecordingScanner(bool clean) : IMalwareScanner
{
    public int Calls { get; private set; }

    public ValueTask<bool> IsCleanAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Calls++;
        return ValueTask.FromResult(clean);
    }
}

using UglyToad.PdfPig;
using UglyToad.PdfPig.Exceptions;

namespace Derbes.Tests.Documents;

/// <summary>
/// The hostile PDF samples must be well-formed apart from their hostile part, so that a
/// rejection in the inspector tests is for the right reason and not because the sample is broken.
/// </summary>
public sealed class SampleFilesTests
{
    public static TheoryData<string, byte[], int> WellFormedPdfs() => new()
    {
        { nameof(SampleFiles.MinimalPdf), SampleFiles.MinimalPdf(), 5 },
        { nameof(SampleFiles.PdfWithJavaScript), SampleFiles.PdfWithJavaScript(), 5 },
        { nameof(SampleFiles.PdfWithHexEscapedJavaScript), SampleFiles.PdfWithHexEscapedJavaScript(), 5 },
        { nameof(SampleFiles.PdfWithJavaScriptNameTree), SampleFiles.PdfWithJavaScriptNameTree(), 6 },
        { nameof(SampleFiles.PdfWithFormFieldJavaScript), SampleFiles.PdfWithFormFieldJavaScript(), 6 },
        { nameof(SampleFiles.PdfWithLaunchAction), SampleFiles.PdfWithLaunchAction(), 5 },
        { nameof(SampleFiles.PdfWithJavaScriptInObjectStream), SampleFiles.PdfWithJavaScriptInObjectStream(), 7 },
        { nameof(SampleFiles.PdfWithObjectStream), SampleFiles.PdfWithObjectStream(), 7 },
        { nameof(SampleFiles.PdfWithHexEncodedObjectStream), SampleFiles.PdfWithHexEncodedObjectStream(), 7 },
        { nameof(SampleFiles.PdfWithEndstreamInsideCompressedObjectStream), SampleFiles.PdfWithEndstreamInsideCompressedObjectStream(1024), 7 },
        { nameof(SampleFiles.PdfWithEmbeddedFiles), SampleFiles.PdfWithEmbeddedFiles(), 7 },
        { nameof(SampleFiles.PdfWithFileAttachmentAnnotation), SampleFiles.PdfWithFileAttachmentAnnotation(), 8 },
        { nameof(SampleFiles.PdfFromPdfPigBuilder), SampleFiles.PdfFromPdfPigBuilder(), 6 },
    };

    [Theory]
    [MemberData(nameof(WellFormedPdfs))]
    public void SamplePdfOpensWithOnePageAndEveryObjectResolves(string name, byte[] pdf, int objectCount)
    {
        using var document = PdfDocument.Open(pdf);
        var references = document.Structure.CrossReferenceTable.ObjectOffsets.Keys.ToList();

        Assert.Equal(1, document.NumberOfPages);
        Assert.True(objectCount <= references.Count, $"{name}: {references.Count} objects");
        Assert.All(references, reference => Assert.NotNull(document.Structure.GetObject(reference).Data));
        Assert.DoesNotContain("JS", document.Structure.Trailer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EncryptedSampleIsRecognisedAsEncryptedByPdfPig()
    {
        Assert.Throws<PdfDocumentEncryptedException>(() => PdfDocument.Open(SampleFiles.EncryptedPdf()).Dispose());
    }
}

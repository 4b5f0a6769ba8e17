using Derbes.Web.Documents;

namespace Derbes.Tests.Documents;

public sealed class DocumentInspectorPdfTests
{
    [Fact]
    public async Task MinimalPdfIsAcceptedAndStoredUnchanged()
    {
        var pdf = SampleFiles.MinimalPdf();

        var result = await TestInspector.InspectAsync(pdf);

        var document = Assert.IsType<InspectedDocument>(result.Document);
        Assert.Equal(DocumentRejection.None, result.Rejection);
        Assert.Equal(DocumentKind.Pdf, document.Kind);
        Assert.Equal("application/pdf", document.ContentType);
        Assert.Equal(".pdf", document.Extension);
        Assert.Equal(pdf, document.Bytes);
        Assert.Null(document.Width);
        Assert.Null(document.Height);
    }

    [Fact]
    public async Task PdfWrittenByPdfPigWithCompressedContentIsAccepted()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfFromPdfPigBuilder());

        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public async Task PdfWithCompressedObjectStreamAndNoActiveContentIsAccepted()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithObjectStream());

        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public async Task PdfWithOpenActionJavaScriptIsRefused()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithJavaScript());

        Assert.Equal(DocumentRejection.PdfHasJavaScript, result.Rejection);
        Assert.Null(result.Document);
    }

    [Fact]
    public async Task PdfWithJavaScriptOnlyInsideACompressedObjectStreamIsRefused()
    {
        var pdf = SampleFiles.PdfWithJavaScriptInObjectStream();
        Assert.True(pdf.AsSpan().IndexOf("JavaScript"u8) < 0, "the sample must hide its JavaScript from a plain byte search");
        Assert.True(pdf.AsSpan().IndexOf("/JS"u8) < 0, "the sample must hide its JavaScript from a plain byte search");

        var result = await TestInspector.InspectAsync(pdf);

        Assert.Equal(DocumentRejection.PdfHasJavaScript, result.Rejection);
    }

    [Fact]
    public async Task PdfWithHexEscapedJavaScriptNameIsRefused()
    {
        var pdf = SampleFiles.PdfWithHexEscapedJavaScript();
        Assert.True(pdf.AsSpan().IndexOf("/JavaScript"u8) < 0, "the sample must spell the name with #xx escapes");
        Assert.True(pdf.AsSpan().IndexOf("/J#61vaScript"u8) >= 0);

        var result = await TestInspector.InspectAsync(pdf);

        Assert.Equal(DocumentRejection.PdfHasJavaScript, result.Rejection);
    }

    [Fact]
    public async Task PdfWithJavaScriptNameTreeIsRefused()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithJavaScriptNameTree());

        Assert.Equal(DocumentRejection.PdfHasJavaScript, result.Rejection);
    }

    [Fact]
    public async Task PdfWithJavaScriptInAFormFieldActionIsRefused()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithFormFieldJavaScript());

        Assert.Equal(DocumentRejection.PdfHasJavaScript, result.Rejection);
    }

    [Fact]
    public async Task PdfWithLaunchActionIsRefusedAsActiveContent()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithLaunchAction());

        Assert.Equal(DocumentRejection.PdfHasJavaScript, result.Rejection);
    }

    [Fact]
    public async Task PdfWithEmbeddedFilesIsRefused()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithEmbeddedFiles());

        Assert.Equal(DocumentRejection.PdfHasEmbeddedFiles, result.Rejection);
    }

    [Fact]
    public async Task PdfWithFileAttachmentAnnotationIsRefused()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithFileAttachmentAnnotation());

        Assert.Equal(DocumentRejection.PdfHasEmbeddedFiles, result.Rejection);
    }

    [Fact]
    public async Task PdfWithEncryptDictionaryInTrailerIsRefusedAsEncrypted()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.EncryptedPdf());

        Assert.Equal(DocumentRejection.PdfEncrypted, result.Rejection);
    }

    [Fact]
    public async Task FileWithPdfHeaderButNoPdfBodyIsRefusedAsUnreadable()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.BrokenPdf());

        Assert.Equal(DocumentRejection.PdfUnreadable, result.Rejection);
    }

    [Fact]
    public async Task PdfWithDecompressionBombIsRefusedAsUnreadable()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithDeflateBomb());

        Assert.Equal(DocumentRejection.PdfUnreadable, result.Rejection);
    }

    [Fact]
    public async Task OversizedObjectStreamIsMeasuredToItsRealEndEvenIfItsDataContainsTheWordEndstream()
    {
        var pdf = SampleFiles.PdfWithEndstreamInsideCompressedObjectStream();

        var result = await TestInspector.InspectAsync(pdf);

        Assert.Equal(DocumentRejection.PdfUnreadable, result.Rejection);
    }

    [Fact]
    public async Task ObjectStreamWithTheWordEndstreamInsideItsDataIsAcceptedWhenSmall()
    {
        var pdf = SampleFiles.PdfWithEndstreamInsideCompressedObjectStream(trailingZeros: 1024);

        var result = await TestInspector.InspectAsync(pdf);

        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public async Task PdfPackedWithMoreCompressedStreamsThanTheScanWillTryIsRefusedAsUnreadable()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfPackedWithCompressedStreams());

        Assert.Equal(DocumentRejection.PdfUnreadable, result.Rejection);
    }

    [Fact]
    public async Task PdfWithManyButNotTooManyCompressedStreamsIsAccepted()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfPackedWithCompressedStreams(count: 1_000));

        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public async Task PdfWithObjectStreamInAFilterTheScanCannotMeasureIsRefusedAsUnreadable()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.PdfWithHexEncodedObjectStream());

        Assert.Equal(DocumentRejection.PdfUnreadable, result.Rejection);
    }
}

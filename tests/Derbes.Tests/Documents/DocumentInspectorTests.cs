using Derbes.Web.Documents;

namespace Derbes.Tests.Documents;

public sealed class DocumentInspectorTests
{
    public static TheoryData<string, byte[]> NotAllowedFiles() => new()
    {
        { "Windows executable renamed .pdf", SampleFiles.WindowsExe() },
        { "SVG", SampleFiles.Svg() },
        { "SVG with XML declaration", SampleFiles.SvgWithXmlDeclaration() },
        { "SVG behind a BOM and white space", SampleFiles.SvgWithBomAndWhitespace() },
        { "HTML", SampleFiles.Html() },
        { "PDF header after white space", SampleFiles.PdfHeaderAfterWhitespace() },
        { "ZIP", SampleFiles.Zip() },
        { "GIF", SampleFiles.Gif() },
        { "WebP", SampleFiles.WebP() },
        { "plain text", "just some words"u8.ToArray() },
        { "two bytes of a JPEG signature", [0xFF, 0xD8] },
    };

    [Theory]
    [MemberData(nameof(NotAllowedFiles))]
    public async Task FilesOtherThanPdfJpegAndPngAreRefusedByContent(string description, byte[] content)
    {
        var result = await TestInspector.InspectAsync(content);

        Assert.False(result.Accepted, description);
        Assert.Equal(DocumentRejection.NotAllowedType, result.Rejection);
        Assert.Null(result.Document);
    }

    [Fact]
    public async Task EmptyFileIsRefusedAsEmpty()
    {
        var result = await TestInspector.InspectAsync([]);

        Assert.Equal(DocumentRejection.Empty, result.Rejection);
        Assert.False(result.Accepted);
    }

    [Fact]
    public async Task FileOneByteOverMaxFileBytesIsRefusedAsTooLarge()
    {
        var options = new DocumentOptions { MaxFileBytes = 1000 };
        byte[] content = [.. "%PDF-1.4\n"u8, .. new byte[1001 - 9]];

        var result = await TestInspector.InspectAsync(content, options);

        Assert.Equal(1001, content.Length);
        Assert.Equal(DocumentRejection.TooLarge, result.Rejection);
    }

    [Fact]
    public async Task DefaultLimitRefusesAFileOneByteOverTenMebibytes()
    {
        var content = new byte[(10 * 1024 * 1024) + 1];
        "%PDF-1.4\n"u8.CopyTo(content);

        var result = await TestInspector.InspectAsync(content);

        Assert.Equal(DocumentRejection.TooLarge, result.Rejection);
    }

    [Fact]
    public async Task FileExactlyAtMaxFileBytesIsNotRefusedForItsSize()
    {
        var pdf = SampleFiles.MinimalPdf();

        var result = await TestInspector.InspectAsync(pdf, new DocumentOptions { MaxFileBytes = pdf.Length });

        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public async Task TooLargeFileIsRefusedBeforeTheMalwareScannerRuns()
    {
        var scanner = new RecordingScanner(clean: true);
        var inspector = TestInspector.Create(new DocumentOptions { MaxFileBytes = 10 }, scanner);

        var result = await inspector.InspectAsync(SampleFiles.MinimalPdf(), CancellationToken.None);

        Assert.Equal(DocumentRejection.TooLarge, result.Rejection);
        Assert.Equal(0, scanner.Calls);
    }

    [Fact]
    public async Task EicarTestFileIsRefusedAsMalware()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.Eicar());

        Assert.Equal(DocumentRejection.Malware, result.Rejection);
    }

    [Fact]
    public async Task EicarAfterAPdfHeaderIsRefusedAsMalware()
    {
        var result = await TestInspector.InspectAsync(SampleFiles.EicarAfterPdfHeader());

        Assert.Equal(DocumentRejection.Malware, result.Rejection);
    }

    [Fact]
    public async Task EicarAppendedToAValidImageIsRefusedAsMalware()
    {
        byte[] content = [.. SampleFiles.SmallPng(), .. SampleFiles.Eicar()];

        var result = await TestInspector.InspectAsync(content);

        Assert.Equal(DocumentRejection.Malware, result.Rejection);
    }

    public static TheoryData<string, byte[]> AllowedFiles() => new()
    {
        { "PDF", SampleFiles.MinimalPdf() },
        { "PNG", SampleFiles.SmallPng() },
        { "JPEG", SampleFiles.SmallJpeg() },
    };

    [Theory]
    [MemberData(nameof(AllowedFiles))]
    public async Task ReplacementScannerVerdictRefusesEveryAllowedType(string description, byte[] content)
    {
        var scanner = new RecordingScanner(clean: false);

        var result = await TestInspector.Create(scanner: scanner).InspectAsync(content, CancellationToken.None);

        Assert.Equal(DocumentRejection.Malware, result.Rejection);
        Assert.Equal(1, scanner.Calls);
        Assert.False(result.Accepted, description);
    }

    [Fact]
    public async Task MalwareScanRunsEvenForFilesThatAreNotAnAllowedType()
    {
        var scanner = new RecordingScanner(clean: false);

        var result = await TestInspector.Create(scanner: scanner).InspectAsync(SampleFiles.WindowsExe(), CancellationToken.None);

        Assert.Equal(DocumentRejection.Malware, result.Rejection);
        Assert.Equal(1, scanner.Calls);
    }

    [Fact]
    public async Task CancelledInspectionThrows()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TestInspector.Create().InspectAsync(SampleFiles.MinimalPdf(), cancellation.Token));
    }
}

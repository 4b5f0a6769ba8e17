using System.Net;
using System.Security.Cryptography;
using Derbes.Tests.Documents;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;

namespace Derbes.Web.Tests.Cabinet;

/// <summary>
/// The cabinet's documents (issue 6): the list with each review's result in words, another document or a replacement
/// checked exactly as at registration, deleting one that is not verified (its file gone from the store), the
/// customer's own file as an attachment, and 404 for every id of another customer's document.
/// </summary>
public sealed class DocumentsPageTests : IClassFixture<DocumentsPageTests.App>, IClassFixture<S3Server>
{
    public sealed class App : DerbesApp;

    private readonly App _app;
    private readonly S3Server _s3;

    public DocumentsPageTests(App app, S3Server s3)
    {
        _app = app;
        _s3 = s3;
    }

    private sealed record Customer(NewCustomer Who, Guid Id, Browser Browser) : IDisposable
    {
        public void Dispose() => Browser.Dispose();
    }

    private static async Task<Customer> SignedInAsync(DerbesApp app, params Upload[] documents)
    {
        var browser = app.NewBrowser();
        var customer = Journeys.Someone();
        var done = await Journeys.RegisterAsync(browser, customer, documents.Length == 0 ? [Journeys.Document()] : documents);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);
        await Journeys.ConfirmEmailAsync(app, browser, customer);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        var index = app.Service<BlindIndex>().Email(customer.Email);
        var id = await app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        return new Customer(customer, id, browser);
    }

    private static string Marker(Guid document) => "document:" + document.ToString("N")[..12];

    private static Task<List<CustomerDocument>> DocumentsOfAsync(DerbesApp app, Guid account) =>
        app.WithDbAsync(db => db.Documents.AsNoTracking().Where(d => d.AccountId == account).ToListAsync());

    private static async Task<Guid> IdOfAsync(DerbesApp app, Guid account, byte[] pdf)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(pdf));
        return (await DocumentsOfAsync(app, account)).Single(d => d.Sha256 == hash).Id;
    }

    private static Task<byte[]?> StoredAsync(DerbesApp app, string storageName) =>
        app.Service<IDocumentStore>().GetAsync(storageName, CancellationToken.None);

    private static async Task<Browser> ReviewerAsync(DerbesApp app)
    {
        var staff = await StaffJourneys.CreateAsync(app, StaffRoles.Support);
        var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, staff);
        return browser;
    }

    /// <summary>A reviewer's decision, made on the staff review page as support makes it.</summary>
    private static async Task DecideAsync(DerbesApp app, Guid document, string decision, RejectionReason? reason = null, string? note = null)
    {
        using var reviewer = await ReviewerAsync(app);
        var fields = new Dictionary<string, string> { ["Decision"] = decision };
        if (reason is not null)
        {
            fields["Reason"] = reason.Value.ToString();
        }
        if (note is not null)
        {
            fields["Note"] = note;
        }
        var done = await reviewer.SubmitAsync(await reviewer.GetAsync($"/admin/documents/{document}"), fields);
        Assert.Equal("/admin/documents", done.Url.AbsolutePath);
    }

    private static async Task<List<string>> QueueLinksAsync(DerbesApp app)
    {
        using var reviewer = await ReviewerAsync(app);
        var queue = await reviewer.GetAsync("/admin/documents");
        return [.. queue.Document.QuerySelectorAll("main table a").Select(a => a.GetAttribute("href") ?? "")];
    }

    private static string Antiforgery(WebPage page) =>
        page.Document.QuerySelector("main form[method=post] input[name=__af]")?.GetAttribute("value")
        ?? throw new InvalidOperationException("No antiforgery token on " + page.Url);

    private async Task<int> ReceivedMailsAsync(NewCustomer customer, int atLeast)
    {
        var subject = _app.Text("Email.DocumentsReceived.Subject", "SMALL");
        for (var i = 0; i < 100; i++)
        {
            var count = _app.Mail.All(customer.Email).Count(m => m.Subject == subject);
            if (count >= atLeast)
            {
                return count;
            }
            await Task.Delay(100);
        }
        return _app.Mail.All(customer.Email).Count(m => m.Subject == subject);
    }

    [Fact]
    public async Task TheListShowsEachDocumentsStatusAndARejectionWithItsReasonAndTheReviewersNoteAsText()
    {
        var verified = SampleFiles.MinimalPdf();
        var rejected = SampleFiles.ScannedPdf(pages: 1);
        using var customer = await SignedInAsync(_app,
            new Upload("Documents", "passport.pdf", verified, "application/pdf"),
            new Upload("Documents", "back-side.pdf", rejected, "application/pdf"),
            new Upload("Documents", "selfie.jpg", SampleFiles.SmallJpeg(), "image/jpeg"));
        var verifiedId = await IdOfAsync(_app, customer.Id, verified);
        var rejectedId = await IdOfAsync(_app, customer.Id, rejected);
        var awaitingId = (await DocumentsOfAsync(_app, customer.Id)).Single(d => d.ContentType == "image/jpeg").Id;
        await DecideAsync(_app, verifiedId, "verify");
        await DecideAsync(_app, rejectedId, "reject", RejectionReason.BelongsToAnotherPerson, "<b>фото</b> чужого паспорта");

        var page = await customer.Browser.GetAsync("/cabinet/documents");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("page", page.Document.QuerySelector("a[href='/cabinet/documents']")?.GetAttribute("aria-current"));
        string StatusOf(Guid id) => page.Document.QuerySelector($"#document-{id} [data-status]")?.TextContent.Trim() ?? "";
        string TextOf(Guid id) => page.Document.QuerySelector($"#document-{id}")?.TextContent ?? "";
        Assert.Equal(_app.Text("DocumentStatus.Verified"), StatusOf(verifiedId));
        Assert.Equal(_app.Text("DocumentStatus.Rejected"), StatusOf(rejectedId));
        Assert.Equal(_app.Text("DocumentStatus.AwaitingReview"), StatusOf(awaitingId));
        Assert.Contains("passport.pdf", TextOf(verifiedId), StringComparison.Ordinal);
        Assert.Contains("PDF", TextOf(verifiedId), StringComparison.Ordinal);
        Assert.Contains("selfie.jpg", TextOf(awaitingId), StringComparison.Ordinal);
        Assert.Contains("JPEG", TextOf(awaitingId), StringComparison.Ordinal);
        // The reason in words, and the note as the reviewer wrote it, shown as text.
        Assert.Equal(_app.Text("RejectionReason.BelongsToAnotherPerson"), page.Document.QuerySelector($"#document-{rejectedId} .rejection-reason")?.TextContent.Trim());
        Assert.Equal("<b>фото</b> чужого паспорта", page.Document.QuerySelector($"#document-{rejectedId} .reviewer-note")?.TextContent.Trim());
        Assert.DoesNotContain("<b>фото</b>", page.Body, StringComparison.Ordinal);
        Assert.Null(page.Document.QuerySelector($"#document-{verifiedId} .rejection-reason"));
        // Only a document that is not verified offers to be replaced or deleted.
        Assert.Null(page.Document.QuerySelector($"#document-{verifiedId} a.button[href='/cabinet/documents/{verifiedId}']"));
        Assert.NotNull(page.Document.QuerySelector($"#document-{rejectedId} a.button[href='/cabinet/documents/{rejectedId}']"));
    }

    [Fact]
    public async Task AReplacementIsCheckedLikeRegistrationAndTakesTheRejectedDocumentsPlaceInTheReviewQueue()
    {
        using var customer = await SignedInAsync(_app);
        var old = (await DocumentsOfAsync(_app, customer.Id)).Single();
        await DecideAsync(_app, old.Id, "reject", RejectionReason.Unreadable);
        var detail = await customer.Browser.GetAsync($"/cabinet/documents/{old.Id}");
        Assert.Equal(_app.Text("RejectionReason.Unreadable"), detail.Document.QuerySelector(".rejection-reason")?.TextContent.Trim());
        const string replace = "main form[action*='handler=replace']";

        // Bad files are refused with the registration's own messages, and nothing changes.
        var script = await customer.Browser.SubmitAsync(detail, uploads: [new Upload("Documents", "scan.pdf", SampleFiles.PdfWithJavaScript(), "application/pdf")], formSelector: replace);
        Assert.Equal(HttpStatusCode.OK, script.Status);
        Assert.Equal(_app.Text("Documents.Rejected.PdfHasJavaScript", "scan.pdf", 10), script.ErrorText("documents-error"));
        var exe = await customer.Browser.SubmitAsync(script, uploads: [new Upload("Documents", "passport.pdf", SampleFiles.WindowsExe(), "application/pdf")], formSelector: replace);
        Assert.Equal(_app.Text("Documents.Rejected.NotAllowedType", "passport.pdf", 10), exe.ErrorText("documents-error"));
        var virus = await customer.Browser.SubmitAsync(exe, uploads: [new Upload("Documents", "eicar.pdf", SampleFiles.EicarAfterPdfHeader(), "application/pdf")], formSelector: replace);
        Assert.Equal(_app.Text("Documents.Rejected.Malware", "eicar.pdf", 10), virus.ErrorText("documents-error"));
        var two = await customer.Browser.SubmitAsync(virus, uploads: [Journeys.Document("a.pdf"), Journeys.Document("b.pdf")], formSelector: replace);
        Assert.Equal(_app.Text("MyDocuments.OneFile"), two.ErrorText("documents-error"));
        Assert.Equal([old.Id], (await DocumentsOfAsync(_app, customer.Id)).Select(d => d.Id));
        Assert.NotNull(await StoredAsync(_app, old.StorageName));

        // A good file takes its place: awaiting review, the old one and its file gone, the customer told.
        var fresh = SampleFiles.ScannedPdf(pages: 1);
        var done = await customer.Browser.SubmitAsync(two, uploads: [new Upload("Documents", "new\u202Efdp.exe.pdf", fresh, "application/pdf")], formSelector: replace);
        Assert.Equal("/cabinet/documents", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("MyDocuments.Notice.Replaced"), done.Text, StringComparison.Ordinal);
        var now = Assert.Single(await DocumentsOfAsync(_app, customer.Id));
        Assert.NotEqual(old.Id, now.Id);
        Assert.Equal(DocumentStatus.AwaitingReview, now.Status);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(fresh)), now.Sha256);
        Assert.Null(await StoredAsync(_app, old.StorageName));
        Assert.NotNull(await StoredAsync(_app, now.StorageName));
        Assert.Equal(_app.Text("DocumentStatus.AwaitingReview"), done.Document.QuerySelector($"#document-{now.Id} [data-status]")?.TextContent.Trim());
        // The name as cleaned at intake: the right-to-left override is gone.
        Assert.Contains("newfdp.exe.pdf", done.Document.QuerySelector($"#document-{now.Id} h2")?.TextContent, StringComparison.Ordinal);
        Assert.Equal(2, await ReceivedMailsAsync(customer.Who, atLeast: 2));
        var old12 = old.Id.ToString("N")[..12];
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.replaced" && e.Subject == customer.Id.ToString() && e.Outcome.StartsWith("document:" + old12) && e.Role == "customer")));
        var uploaded = Marker(now.Id);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.uploaded" && e.Outcome == uploaded)));

        // Support sees the replacement like any new upload; the replaced one is gone from everywhere.
        var queue = await QueueLinksAsync(_app);
        Assert.Contains($"/admin/documents/{now.Id}", queue);
        Assert.DoesNotContain($"/admin/documents/{old.Id}", queue);
        Assert.Equal(HttpStatusCode.NotFound, (await customer.Browser.GetAsync($"/cabinet/documents/{old.Id}")).Status);
        await DecideAsync(_app, now.Id, "verify");
    }

    [Fact]
    public async Task AnotherDocumentAwaitsReviewAndTheCustomerHoldsNoMoreUnverifiedOnesThanRegistrationAllows()
    {
        using var customer = await SignedInAsync(_app);
        var list = await customer.Browser.GetAsync("/cabinet/documents");

        var none = await customer.Browser.SubmitAsync(list);
        Assert.Equal(_app.Text("MyDocuments.FileRequired"), none.ErrorText("documents-error"));
        var html = await customer.Browser.SubmitAsync(none, uploads: [new Upload("Documents", "id.png", SampleFiles.Html(), "image/png")]);
        Assert.Equal(_app.Text("Documents.Rejected.NotAllowedType", "id.png", 10), html.ErrorText("documents-error"));
        Assert.Single(await DocumentsOfAsync(_app, customer.Id));

        var added = await customer.Browser.SubmitAsync(html, uploads: [
            new Upload("Documents", "photo.png", SampleFiles.SmallPng(), "image/png"),
            new Upload("Documents", "back.pdf", SampleFiles.ScannedPdf(pages: 1), "application/pdf"),
        ]);
        Assert.Equal("/cabinet/documents", added.Url.AbsolutePath);
        Assert.Contains(_app.Text("MyDocuments.Notice.Uploaded"), added.Text, StringComparison.Ordinal);
        var documents = await DocumentsOfAsync(_app, customer.Id);
        Assert.Equal(3, documents.Count);
        Assert.All(documents, d => Assert.Equal(DocumentStatus.AwaitingReview, d.Status));
        Assert.Equal(3, added.Document.QuerySelectorAll("ol.own-documents > li").Length);
        var queue = await QueueLinksAsync(_app);
        Assert.All(documents, d => Assert.Contains($"/admin/documents/{d.Id}", queue));
        Assert.Equal(2, await ReceivedMailsAsync(customer.Who, atLeast: 2));

        // Three unverified already: the fourth waits until one is replaced, deleted or verified.
        var fourth = await customer.Browser.SubmitAsync(added, uploads: [Journeys.Document("fourth.pdf")]);
        Assert.Equal(_app.Text("MyDocuments.TooManyHeld", 3), fourth.ErrorText("documents-error"));
        Assert.Equal(3, (await DocumentsOfAsync(_app, customer.Id)).Count);
        await DecideAsync(_app, documents[0].Id, "verify");
        var accepted = await customer.Browser.SubmitAsync(fourth, uploads: [Journeys.Document("fourth.pdf")]);
        Assert.Equal("/cabinet/documents", accepted.Url.AbsolutePath);
        Assert.Equal(4, (await DocumentsOfAsync(_app, customer.Id)).Count);
    }

    [Fact]
    public async Task ADocumentNotYetVerifiedIsDeletedAfterAConfirmationWithItsFileGoneFromTheStore()
    {
        var awaiting = SampleFiles.MinimalPdf();
        var rejected = SampleFiles.ScannedPdf(pages: 1);
        using var customer = await SignedInAsync(_app,
            new Upload("Documents", "passport.pdf", awaiting, "application/pdf"),
            new Upload("Documents", "back.pdf", rejected, "application/pdf"));
        var awaitingId = await IdOfAsync(_app, customer.Id, awaiting);
        var awaitingDocument = (await DocumentsOfAsync(_app, customer.Id)).Single(d => d.Id == awaitingId);
        var rejectedId = await IdOfAsync(_app, customer.Id, rejected);
        await DecideAsync(_app, rejectedId, "reject", RejectionReason.Expired);
        var rejectedDocument = (await DocumentsOfAsync(_app, customer.Id)).Single(d => d.Id == rejectedId);

        foreach (var document in new[] { awaitingDocument, rejectedDocument })
        {
            Assert.NotNull(await StoredAsync(_app, document.StorageName));
            var detail = await customer.Browser.GetAsync($"/cabinet/documents/{document.Id}");
            var confirm = await customer.Browser.GetAsync(detail.Document.QuerySelector($"a[href='/cabinet/documents/{document.Id}/delete']")!.GetAttribute("href")!);
            Assert.Equal(HttpStatusCode.OK, confirm.Status);
            Assert.Contains(_app.Text("MyDocuments.DeleteLead", document.Id == rejectedId ? "back.pdf" : "passport.pdf"), confirm.Text, StringComparison.Ordinal);
            // Opening the confirmation deletes nothing; a forged post without the token is refused.
            Assert.NotNull(await StoredAsync(_app, document.StorageName));
            var forged = await customer.Browser.SubmitAsync(confirm, dropAntiforgery: true);
            Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
            Assert.NotNull(await StoredAsync(_app, document.StorageName));

            var done = await customer.Browser.SubmitAsync(confirm);
            Assert.Equal("/cabinet/documents", done.Url.AbsolutePath);
            Assert.Contains(_app.Text("MyDocuments.Notice.Deleted"), done.Text, StringComparison.Ordinal);
            Assert.Null(done.Document.QuerySelector($"#document-{document.Id}"));
            Assert.Null(await StoredAsync(_app, document.StorageName));
            Assert.False(await _app.WithDbAsync(db => db.Documents.AnyAsync(d => d.Id == document.Id)));
            var deleted = Marker(document.Id) + ":" + document.Status;
            var subject = customer.Id.ToString();
            Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.deleted" && e.Subject == subject && e.Outcome == deleted && e.Role == "customer")));
        }
        Assert.DoesNotContain($"/admin/documents/{awaitingDocument.Id}", await QueueLinksAsync(_app));
        Assert.Contains(_app.Text("Cabinet.NoDocuments"), (await customer.Browser.GetAsync("/cabinet/documents")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVerifiedDocumentCannotBeDeletedOrReplacedAndThePageSaysWhy()
    {
        using var customer = await SignedInAsync(_app);
        var document = (await DocumentsOfAsync(_app, customer.Id)).Single();
        await DecideAsync(_app, document.Id, "verify");

        var detail = await customer.Browser.GetAsync($"/cabinet/documents/{document.Id}");
        Assert.Null(detail.Document.QuerySelector("main form[method=post]"));
        Assert.Null(detail.Document.QuerySelector($"a[href='/cabinet/documents/{document.Id}/delete']"));
        Assert.Contains(_app.Text("MyDocuments.VerifiedKept"), detail.Document.GetElementById("verified-kept")?.TextContent, StringComparison.Ordinal);
        var confirm = await customer.Browser.GetAsync($"/cabinet/documents/{document.Id}/delete");
        Assert.Null(confirm.Document.QuerySelector("main form[method=post]"));
        Assert.Contains(_app.Text("MyDocuments.VerifiedKept"), confirm.Document.GetElementById("verified-kept")?.TextContent, StringComparison.Ordinal);

        // Posted by hand (a valid token from the list's form), it is refused and nothing is removed.
        var token = Antiforgery(await customer.Browser.GetAsync("/cabinet/documents"));
        var delete = await customer.Browser.Client.PostAsync($"/cabinet/documents/{document.Id}/delete", new FormUrlEncodedContent([new("__af", token)]));
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        using var replacement = new MultipartFormDataContent { { new StringContent(token), "__af" }, { new ByteArrayContent(SampleFiles.MinimalPdf()), "Documents", "new.pdf" } };
        var replace = await customer.Browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/cabinet/documents/{document.Id}?handler=replace") { Content = replacement });
        Assert.Equal(HttpStatusCode.Conflict, replace.Status);
        Assert.Equal(_app.Text("MyDocuments.NowVerified"), replace.ErrorText("documents-error"));
        var still = Assert.Single(await DocumentsOfAsync(_app, customer.Id));
        Assert.Equal(document.Id, still.Id);
        Assert.Equal(DocumentStatus.Verified, still.Status);
        Assert.NotNull(await StoredAsync(_app, document.StorageName));
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.deleted" && e.Subject == customer.Id.ToString())));
    }

    [Fact]
    public async Task TheCustomerDownloadsTheirOwnFileAsAnAttachmentThatIsNeitherSniffedNorCachedAndTheDownloadIsAudited()
    {
        var pdf = SampleFiles.ScannedPdf(pages: 1);
        using var customer = await SignedInAsync(_app,
            new Upload("Documents", "паспорт: 2026.pdf", pdf, "application/octet-stream"),
            new Upload("Documents", "photo.png", SampleFiles.SmallJpeg(), "image/png"));
        var pdfId = await IdOfAsync(_app, customer.Id, pdf);
        var imageId = (await DocumentsOfAsync(_app, customer.Id)).Single(d => d.Id != pdfId).Id;
        var list = await customer.Browser.GetAsync("/cabinet/documents");
        Assert.NotNull(list.Document.QuerySelector($"a[href='/cabinet/documents/{pdfId}?handler=download']"));

        var download = await customer.Browser.Client.GetAsync($"/cabinet/documents/{pdfId}?handler=download");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(pdf, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("паспорт_ 2026.pdf", download.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-store", download.Headers.CacheControl?.ToString());
        Assert.Contains("sandbox", download.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        // The image as intake re-encoded it: its real type (and extension), and it decodes.
        var image = await customer.Browser.Client.GetAsync($"/cabinet/documents/{imageId}?handler=download");
        Assert.Equal("image/jpeg", image.Content.Headers.ContentType?.MediaType);
        Assert.Equal("photo.jpg", image.Content.Headers.ContentDisposition?.FileNameStar ?? image.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("nosniff", image.Headers.GetValues("X-Content-Type-Options").Single());
        using (var decoded = SKBitmap.Decode(await image.Content.ReadAsByteArrayAsync()))
        {
            Assert.NotNull(decoded);
            Assert.Equal(64, decoded.Width);
            Assert.Equal(32, decoded.Height);
        }

        var downloads = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking()
            .Where(e => e.Action == "document.downloaded" && e.Subject == customer.Id.ToString()).ToListAsync());
        Assert.Equal(2, downloads.Count);
        Assert.All(downloads, e => Assert.Equal("customer", e.Role));
        Assert.Contains(downloads, e => e.Outcome == Marker(pdfId));
    }

    [Fact]
    public async Task AnotherCustomersDocumentIdIsNotFoundForViewDownloadReplaceAndDeleteLikeAnIdThatDoesNotExist()
    {
        using var owner = await SignedInAsync(_app);
        var theirs = (await DocumentsOfAsync(_app, owner.Id)).Single();
        using var other = await SignedInAsync(_app);
        var token = Antiforgery(await other.Browser.GetAsync("/cabinet/documents"));

        foreach (var id in new[] { theirs.Id, Guid.NewGuid() })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await other.Browser.Client.GetAsync($"/cabinet/documents/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await other.Browser.Client.GetAsync($"/cabinet/documents/{id}?handler=download")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await other.Browser.Client.GetAsync($"/cabinet/documents/{id}/delete")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await other.Browser.Client.PostAsync($"/cabinet/documents/{id}/delete", new FormUrlEncodedContent([new("__af", token)]))).StatusCode);
            using var replacement = new MultipartFormDataContent { { new StringContent(token), "__af" }, { new ByteArrayContent(SampleFiles.MinimalPdf()), "Documents", "mine.pdf" } };
            Assert.Equal(HttpStatusCode.NotFound, (await other.Browser.Client.PostAsync($"/cabinet/documents/{id}?handler=replace", replacement)).StatusCode);
        }

        // The owner's document is untouched, nothing was added for the other customer, and nothing was opened.
        var still = Assert.Single(await DocumentsOfAsync(_app, owner.Id));
        Assert.Equal(theirs.Id, still.Id);
        Assert.NotNull(await StoredAsync(_app, theirs.StorageName));
        Assert.Single(await DocumentsOfAsync(_app, other.Id));
        var opened = Marker(theirs.Id);
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.downloaded" && e.Outcome == opened)));
        Assert.Equal(HttpStatusCode.OK, (await owner.Browser.Client.GetAsync($"/cabinet/documents/{theirs.Id}?handler=download")).StatusCode);
    }

    [Fact]
    public async Task OnAnObjectStoreAReplacementAndADeletionLeaveOnlyTheRemainingFilesInTheBucket()
    {
        var bucket = await _s3.NewBucketAsync();
        using var app = new DerbesApp(_s3.Settings(bucket));
        var first = SampleFiles.MinimalPdf();
        var second = SampleFiles.ScannedPdf(pages: 1);
        using var customer = await SignedInAsync(app,
            new Upload("Documents", "first.pdf", first, "application/pdf"),
            new Upload("Documents", "second.pdf", second, "application/pdf"));
        var firstId = await IdOfAsync(app, customer.Id, first);
        var secondId = await IdOfAsync(app, customer.Id, second);
        await DecideAsync(app, firstId, "reject", RejectionReason.Incomplete);

        var detail = await customer.Browser.GetAsync($"/cabinet/documents/{firstId}");
        var replacement = SampleFiles.PdfFromPdfPigBuilder();
        var replaced = await customer.Browser.SubmitAsync(detail, uploads: [new Upload("Documents", "first-again.pdf", replacement, "application/pdf")], formSelector: "main form[action*='handler=replace']");
        Assert.Equal("/cabinet/documents", replaced.Url.AbsolutePath);
        var confirm = await customer.Browser.GetAsync($"/cabinet/documents/{secondId}/delete");
        Assert.Equal("/cabinet/documents", (await customer.Browser.SubmitAsync(confirm)).Url.AbsolutePath);

        var remaining = Assert.Single(await DocumentsOfAsync(app, customer.Id));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(replacement)), remaining.Sha256);
        Assert.Equal([$"documents/{remaining.StorageName[..2]}/{remaining.StorageName}"], (await _s3.ObjectsAsync(bucket)).Keys.ToArray());
        var download = await customer.Browser.Client.GetAsync($"/cabinet/documents/{remaining.Id}?handler=download");
        Assert.Equal(replacement, await download.Content.ReadAsByteArrayAsync());
    }
}

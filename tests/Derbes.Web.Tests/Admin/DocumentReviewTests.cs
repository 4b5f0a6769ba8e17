using System.Net;
using Derbes.Tests.Documents;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;

namespace Derbes.Web.Tests.Admin;

/// <summary>
/// Support reviews documents (issue 4): the queue oldest first, a watermarked and audited view, downloads as
/// attachments, a decision that only one reviewer can make, and an email to the customer in their language.
/// </summary>
public sealed class DocumentReviewTests : IClassFixture<DocumentReviewTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public DocumentReviewTests(App app) => _app = app;

    private async Task<(NewCustomer Customer, Guid DocumentId)> RegisteredWithAsync(Upload document, string language = "kk")
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone(language);
        await Journeys.RegisterAsync(browser, customer, [document]);
        await _app.Mail.WaitForAsync(customer.Email);
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var id = await _app.WithDbAsync(db => db.Documents.Where(d => db.Users.Any(a => a.Id == d.AccountId && a.EmailIndex == index)).Select(d => d.Id).SingleAsync());
        return (customer, id);
    }

    private async Task<Browser> ReviewerAsync()
    {
        var staff = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        var browser = _app.NewBrowser();
        await StaffJourneys.SignInAsync(_app, browser, staff);
        return browser;
    }

    [Fact]
    public async Task TheQueueListsDocumentsOldestFirstAndTheImageIsShownOnlyWatermarkedAndAudited()
    {
        var (_, first) = await RegisteredWithAsync(new Upload("Documents", "id-front.png", SampleFiles.SmallJpeg(), "image/jpeg"));
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        var (_, second) = await RegisteredWithAsync(Journeys.Document());
        using var reviewer = await ReviewerAsync();

        var queue = await reviewer.GetAsync("/admin/documents");
        var links = queue.Document.QuerySelectorAll("main table a").Select(a => a.GetAttribute("href")).ToList();
        Assert.True(links.IndexOf($"/admin/documents/{first}") < links.IndexOf($"/admin/documents/{second}"));

        var page = await reviewer.GetAsync($"/admin/documents/{first}");
        Assert.NotNull(page.Document.QuerySelector($"img[src='/admin/documents/{first}?handler=view']"));
        var view = await reviewer.Client.GetAsync($"/admin/documents/{first}?handler=view");
        Assert.Equal("image/png", view.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", view.Headers.CacheControl?.ToString());
        // The stored image (as intake re-encoded it), fetched as the reviewer's download.
        var stored = await (await reviewer.Client.GetAsync($"/admin/documents/{first}?handler=download")).Content.ReadAsByteArrayAsync();
        using (var shown = SKBitmap.Decode(await view.Content.ReadAsByteArrayAsync()))
        using (var original = SKBitmap.Decode(stored))
        {
            // The same picture, but not the same pixels: the name is written across it.
            Assert.Equal(original.Width, shown.Width);
            var differing = Enumerable.Range(0, shown.Width * shown.Height).Count(i => !Near(shown.GetPixel(i % shown.Width, i / shown.Width), original.GetPixel(i % shown.Width, i / shown.Width)));
            Assert.True(differing > shown.Width * shown.Height / 20, $"no visible watermark: {differing} of {shown.Width * shown.Height} pixels changed");
        }

        var download = await reviewer.Client.GetAsync($"/admin/documents/{second}?handler=download");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.StartsWith("document-", download.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        Assert.Contains("sandbox", download.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(SampleFiles.MinimalPdf(), await download.Content.ReadAsByteArrayAsync());
        // A PDF without a scanned picture has nothing to show; it is downloaded.
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.Client.GetAsync($"/admin/documents/{second}?handler=view")).StatusCode);

        var looks = await _app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "document.viewed" || e.Action == "document.downloaded").Select(e => e.Action).ToListAsync());
        Assert.Contains("document.viewed", looks);
        Assert.Contains("document.downloaded", looks);
    }

    [Fact]
    public async Task AScannedPdfIsShownPageUnderPageWithTheReviewersNameAcrossItAndAudited()
    {
        var (_, scanned) = await RegisteredWithAsync(new Upload("Documents", "passport.pdf", SampleFiles.ScannedPdf(pages: 2), "application/pdf"));
        using var reviewer = await ReviewerAsync();
        var page = await reviewer.GetAsync($"/admin/documents/{scanned}");
        Assert.NotNull(page.Document.QuerySelector($"img[src='/admin/documents/{scanned}?handler=view']"));

        var view = await reviewer.Client.GetAsync($"/admin/documents/{scanned}?handler=view");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        Assert.Equal("image/png", view.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", view.Headers.CacheControl?.ToString());
        using var shown = SKBitmap.Decode(await view.Content.ReadAsByteArrayAsync());
        // Both pages, one under the other, with a gap.
        Assert.Equal(640, shown.Width);
        Assert.Equal((2 * 320) + 8, shown.Height);
        // The second page's top-right quadrant is the scan's blue, partly tinted by the red name written across it.
        var clean = 0;
        var tinted = 0;
        var total = 0;
        for (var y = 328 + 10; y < 328 + 150; y += 3)
        {
            for (var x = 330; x < 630; x += 3)
            {
                var c = shown.GetPixel(x, y);
                total++;
                clean += c.Blue > 200 && c.Red < 30 ? 1 : 0;
                tinted += c.Blue > 100 && c.Red is >= 30 and < 160 ? 1 : 0;
            }
        }
        Assert.True(clean + tinted > total * 9 / 10, $"{clean} clean and {tinted} tinted of {total}: not the scan's blue");
        Assert.True(tinted > total / 50, $"{tinted} of {total} pixels tinted: no watermark across the page");
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.viewed" && e.Outcome.Contains(scanned.ToString("N").Substring(0, 12)))));
    }

    [Fact]
    public async Task ARejectionTellsTheCustomerWhyInTheirLanguageAndShowsTheirNoteAsText()
    {
        var (customer, id) = await RegisteredWithAsync(Journeys.Document(), language: "ru");
        using var reviewer = await ReviewerAsync();
        var page = await reviewer.GetAsync($"/admin/documents/{id}");

        var missing = await reviewer.SubmitAsync(page, new Dictionary<string, string> { ["Decision"] = "reject", ["Reason"] = "" });
        Assert.Equal(_app.Text("Review.ReasonRequired"), missing.ErrorText("reason-error"));

        var done = await reviewer.SubmitAsync(missing, new Dictionary<string, string>
        {
            ["Decision"] = "reject",
            ["Reason"] = nameof(RejectionReason.BelongsToAnotherPerson),
            ["Note"] = "<script>alert('x')</script> фото чужого паспорта",
        });
        Assert.Equal("/admin/documents", done.Url.AbsolutePath);
        Assert.Contains(_app.Text("Review.Rejected"), done.Text, StringComparison.Ordinal);

        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.TextIn("ru", "Email.DocumentRejected.Subject", "SMALL"));
        Assert.Contains(_app.TextIn("ru", "RejectionReason.BelongsToAnotherPerson"), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("фото чужого паспорта", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", mail.HtmlBody, StringComparison.Ordinal);

        var document = await _app.WithDbAsync(db => db.Documents.AsNoTracking().SingleAsync(d => d.Id == id));
        Assert.Equal(DocumentStatus.Rejected, document.Status);
        Assert.Equal(RejectionReason.BelongsToAnotherPerson, document.Rejection);
        Assert.NotNull(document.SealedNote);
        Assert.DoesNotContain("паспорта", System.Text.Encoding.UTF8.GetString(document.SealedNote!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfTwoReviewersDecidingAtOnceExactlyOneWinsAndTheOtherIsTold()
    {
        var (customer, id) = await RegisteredWithAsync(Journeys.Document());
        using var one = await ReviewerAsync();
        using var two = await ReviewerAsync();
        var pageOne = await one.GetAsync($"/admin/documents/{id}");
        var pageTwo = await two.GetAsync($"/admin/documents/{id}");

        var results = await Task.WhenAll(
            one.SubmitAsync(pageOne, new Dictionary<string, string> { ["Decision"] = "verify" }),
            two.SubmitAsync(pageTwo, new Dictionary<string, string> { ["Decision"] = "reject", ["Reason"] = nameof(RejectionReason.Unreadable) }));

        var notices = results.Select(r => r.Text).ToList();
        Assert.Equal(1, notices.Count(t => t.Contains(_app.Text("Review.AlreadyDecided"), StringComparison.Ordinal)));
        Assert.Equal(1, notices.Count(t => t.Contains(_app.Text("Review.Verified"), StringComparison.Ordinal) || t.Contains(_app.Text("Review.Rejected"), StringComparison.Ordinal)));
        var marker = "document:" + id.ToString("N")[..12];
        var decisions = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => (e.Action == "document.verified" || e.Action == "document.rejected") && e.Outcome.StartsWith(marker)));
        Assert.Equal(1, decisions);
        await Task.Delay(500);
        var decisionMails = _app.Mail.All(customer.Email).Count(m => (m.Subject ?? "").Contains(_app.Text("Email.DocumentVerified.Subject", "SMALL"), StringComparison.Ordinal) || (m.Subject ?? "").Contains(_app.Text("Email.DocumentRejected.Subject", "SMALL"), StringComparison.Ordinal));
        Assert.Equal(1, decisionMails);
    }

    [Fact]
    public async Task AVerifiedDocumentsFileIsDestroyedThirtyDaysAfterVerificationAndTheResultStays()
    {
        // The customer never confirms their email here: their account must outlive the month (unconfirmed ones go after 7 days).
        using var app = new DerbesApp(new() { ["Retention:UnconfirmedAccounts"] = "365.00:00:00" });
        using var customerBrowser = app.NewBrowser();
        await Journeys.RegisterAsync(customerBrowser, Journeys.Someone(), [Journeys.Document(), Journeys.Document("second.pdf")]);
        var documents = await app.WithDbAsync(db => db.Documents.AsNoTracking().OrderBy(d => d.UploadedAt).ThenBy(d => d.Id).ToListAsync());
        Assert.Equal(2, documents.Count);
        var staff = await StaffJourneys.CreateAsync(app, StaffRoles.Support);
        using var reviewer = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, reviewer, staff);
        await reviewer.SubmitAsync(await reviewer.GetAsync($"/admin/documents/{documents[0].Id}"), new Dictionary<string, string> { ["Decision"] = "verify" });
        await reviewer.SubmitAsync(await reviewer.GetAsync($"/admin/documents/{documents[1].Id}"), new Dictionary<string, string> { ["Decision"] = "reject", ["Reason"] = nameof(RejectionReason.Unreadable) });
        string FileOf(CustomerDocument d) => Path.Combine(app.DataDirectory, "documents", d.StorageName[..2], d.StorageName);
        var retention = app.Service<DocumentRetention>();

        app.Clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await retention.PurgeDueAsync(CancellationToken.None));
        Assert.True(File.Exists(FileOf(documents[0])));

        app.Clock.Advance(TimeSpan.FromDays(2));
        // The background run may get there first; either way the file goes exactly once.
        await retention.PurgeDueAsync(CancellationToken.None);
        Assert.False(File.Exists(FileOf(documents[0])));
        // The rejected one ends the same way after its own period (also 30 days by default, from the rejection): the reason stays.
        Assert.False(File.Exists(FileOf(documents[1])));
        var after = await app.WithDbAsync(db => db.Documents.AsNoTracking().SingleAsync(d => d.Id == documents[0].Id));
        Assert.Equal(DocumentStatus.Verified, after.Status);
        Assert.NotNull(after.PurgedAt);
        Assert.Empty(after.SealedOriginalName);
        var rejected = await app.WithDbAsync(db => db.Documents.AsNoTracking().SingleAsync(d => d.Id == documents[1].Id));
        Assert.Equal((DocumentStatus.Rejected, RejectionReason.Unreadable), (rejected.Status, rejected.Rejection));
        Assert.NotNull(rejected.PurgedAt);
        Assert.Equal(2, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "document.purged" && e.Actor == "system")));
        Assert.Equal(0, await retention.PurgeDueAsync(CancellationToken.None));
    }

    private static bool Near(SKColor a, SKColor b) => Math.Abs(a.Red - b.Red) < 8 && Math.Abs(a.Green - b.Green) < 8 && Math.Abs(a.Blue - b.Blue) < 8;
}

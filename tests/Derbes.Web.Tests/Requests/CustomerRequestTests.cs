using System.Globalization;
using System.Net;
using System.Text;
using Derbes.Tests.Documents;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Requests;

/// <summary>
/// The customer's statutory requests (issue 6, Art. 24) and complaints: filed in the cabinet with a number and a
/// due date on the Kazakhstan working-day calendar, acknowledged by email in the customer's language, shown only to
/// their owner; a text over the limit or a file that is not PDF, JPEG or PNG stores nothing.
/// </summary>
public sealed class CustomerRequestTests : IClassFixture<CustomerRequestTests.App>
{
    /// <summary>Thursday 31 December 2026, 10:00 in Almaty: the New Year holidays are ahead.</summary>
    public static readonly DateTimeOffset NewYearsEve = new(2026, 12, 31, 5, 0, 0, TimeSpan.Zero);

    public sealed class App() : DerbesApp(startAt: NewYearsEve);

    private readonly App _app;

    public CustomerRequestTests(App app) => _app = app;

    private async Task<(NewCustomer Customer, Guid Id, Browser Browser)> SignedInAsync(string language = "kk")
    {
        var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser, Journeys.Someone(language));
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var id = await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        return (customer, id, browser);
    }

    private static Task<WebPage> FileAsync(Browser browser, RequestKind kind, string text, Upload? upload = null) =>
        FileAsync(browser, kind.ToString(), text, upload);

    private static async Task<WebPage> FileAsync(Browser browser, string kind, string text, Upload? upload = null)
    {
        var form = await browser.GetAsync("/cabinet/requests/new");
        Assert.Equal(HttpStatusCode.OK, form.Status);
        return await browser.SubmitAsync(form, new Dictionary<string, string>
        {
            ["Input.Kind"] = kind,
            ["Input.Text"] = text,
        }, upload is null ? null : [upload]);
    }

    private Task<List<CustomerRequest>> RequestsOfAsync(Guid account) =>
        _app.WithDbAsync(db => db.CustomerRequests.AsNoTracking().Include(r => r.Attachments).Where(r => r.AccountId == account).OrderBy(r => r.Id).ToListAsync());

    private static string Kk(DateOnly date) => date.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("kk"));

    [Fact]
    public async Task EachKindIsDueOnItsNthWorkingDayAcrossTheNewYearHolidays()
    {
        var (customer, id, browser) = await SignedInAsync();
        using var _ = browser;
        // Received Thursday 31 Dec 2026. Off: Fri 1 Jan, Sat 2 Jan (so Mon 4 Jan too), Thu 7 Jan.
        var expected = new Dictionary<RequestKind, DateOnly>
        {
            [RequestKind.Rectification] = new(2027, 1, 5),
            [RequestKind.Blocking] = new(2027, 1, 5),
            [RequestKind.Destruction] = new(2027, 1, 5),
            [RequestKind.AutomatedDecisionObjection] = new(2027, 1, 8),
            [RequestKind.Information] = new(2027, 1, 8),
            [RequestKind.ConsentWithdrawal] = new(2027, 1, 26),
            [RequestKind.Complaint] = new(2027, 2, 16),
            [RequestKind.BreachReport] = new(2027, 2, 16),
        };
        foreach (var kind in CustomerRequests.CustomerKinds)
        {
            var page = await FileAsync(browser, kind, $"Менің өтінішім: {kind}");
            Assert.Matches(@"^/cabinet/requests/\d+$", page.Url.AbsolutePath);
            Assert.Equal(_app.Text("Requests.Filed"), page.Document.QuerySelector("main .alert.success")?.TextContent.Trim());
            Assert.Equal(Kk(expected[kind]), page.ErrorText("due"));
            Assert.Equal(_app.Text("RequestStatus.Received"), page.ErrorText("status"));
            Assert.Equal($"Менің өтінішім: {kind}", page.ErrorText("text"));
        }
        var stored = await RequestsOfAsync(id);
        Assert.Equal(CustomerRequests.CustomerKinds, stored.Select(r => r.Kind));
        Assert.All(stored, r =>
        {
            Assert.Equal(expected[r.Kind], r.DueOn);
            Assert.Equal(new DateOnly(2026, 12, 31), r.ReceivedOn);
            Assert.Matches(@"^SMALL-2026-\d{6}$", r.Number);
            Assert.Equal(RequestChannel.Cabinet, r.Channel);
        });

        // The list shows each with its number, kind, due date and status.
        var list = await browser.GetAsync("/cabinet/requests");
        var rows = list.Document.QuerySelectorAll("#requests tbody tr");
        Assert.Equal(stored.Count, rows.Length);
        var complaint = stored.Single(r => r.Kind == RequestKind.Complaint);
        var row = rows.Single(r => r.TextContent.Contains(complaint.Number, StringComparison.Ordinal));
        Assert.Contains(_app.Text("RequestKind.Complaint"), row.TextContent, StringComparison.Ordinal);
        Assert.Equal(Kk(new DateOnly(2027, 2, 16)), row.QuerySelector("td.due")!.TextContent.Trim());

        // What the overview will show: eight open, the nearest due on 5 January.
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var open = await scope.ServiceProvider.GetRequiredService<CustomerRequests>().OpenAsync(id, CancellationToken.None);
            Assert.Equal(new OpenRequests(8, new DateOnly(2027, 1, 5)), open);
        }

        // Received at 00:30 on 1 January in Almaty (still 31 December in UTC): a 2027 number, counted from the holiday.
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 31, 19, 30, 0, TimeSpan.Zero));
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var afterMidnight = await FileAsync(browser, RequestKind.Rectification, "Жаңа жылдағы өтініш");
        Assert.Equal(Kk(new DateOnly(2027, 1, 5)), afterMidnight.ErrorText("due"));
        var first = (await RequestsOfAsync(id))[^1];
        Assert.Equal(new DateOnly(2027, 1, 1), first.ReceivedOn);
        Assert.Equal("SMALL-2027-000001", first.Number);
    }

    [Fact]
    public async Task TheAcknowledgementGivesTheNumberAndTheDueDateInTheCustomersLanguage()
    {
        var (customer, id, browser) = await SignedInAsync("ru");
        using var _ = browser;
        await FileAsync(browser, RequestKind.Information, "Какие мои данные вы храните?");
        var request = Assert.Single(await RequestsOfAsync(id));

        var mail = await _app.Mail.WaitForAsync(customer.Email, _app.TextIn("ru", "Email.RequestReceived.Subject", "SMALL"));
        var due = request.DueOn.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);
        var received = request.ReceivedOn.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);
        Assert.Contains(_app.TextIn("ru", "Email.RequestReceived.Body", "SMALL", request.Number, _app.TextIn("ru", "RequestKind.Information"), received, due), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(request.Number, mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains(due, mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains(DerbesApp.PublicUrl + "/cabinet/requests", mail.TextBody, StringComparison.Ordinal);

        // On the record: the filing, and the customer opening it.
        var actions = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Subject == id.ToString() && e.Action.StartsWith("request.")).Select(e => new { e.Action, e.Outcome, e.Role }).ToListAsync());
        Assert.Contains(actions, a => a.Action == "request.filed" && a.Outcome == $"{request.Number}:Information" && a.Role == "customer");
        Assert.Contains(actions, a => a.Action == "request.viewed" && a.Outcome == request.Number);
    }

    [Fact]
    public async Task AnotherCustomersRequestIsNotFoundAndTheTextIsStoredSealed()
    {
        var (_, owner, ownerBrowser) = await SignedInAsync();
        using var _ = ownerBrowser;
        var secret = "Менің жеке хатым " + Guid.NewGuid().ToString("N");
        await FileAsync(ownerBrowser, RequestKind.Rectification, secret, new Upload("Document", "proof.pdf", SampleFiles.MinimalPdf(), "application/pdf"));
        var request = Assert.Single(await RequestsOfAsync(owner));
        var file = Assert.Single(request.Attachments);

        var (_, _, other) = await SignedInAsync();
        using var __ = other;
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/cabinet/requests/{request.Id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/cabinet/requests/{request.Id}?handler=file&fileId={file.Id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/cabinet/requests/999999999")).Status);
        var theirs = await other.GetAsync("/cabinet/requests");
        Assert.DoesNotContain(request.Number, theirs.Text, StringComparison.Ordinal);
        Assert.NotNull(theirs.Document.GetElementById("no-requests"));
        // A stranger is sent to sign in.
        using var stranger = _app.NewBrowser();
        var anonymous = await stranger.Client.GetAsync($"/cabinet/requests/{request.Id}");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);

        // The owner opens their own file, byte for byte.
        var download = await ownerBrowser.Client.GetAsync($"/cabinet/requests/{request.Id}?handler=file&fileId={file.Id}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(SampleFiles.MinimalPdf(), await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);

        // Neither the text nor the file name is in the database in the clear.
        var raw = await _app.RawDatabaseAsync();
        Assert.Equal(-1, raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
        Assert.Equal(-1, raw.AsSpan().IndexOf("proof.pdf"u8));
    }

    [Fact]
    public async Task ATextOverTheLimitIsRefusedWithAMessageAndNothingIsStored()
    {
        var (customer, id, browser) = await SignedInAsync();
        using var _ = browser;
        var mailBefore = _app.Mail.All(customer.Email).Count;
        foreach (var length in new[] { 4001, 1024 * 1024 })
        {
            var refused = await FileAsync(browser, RequestKind.Complaint, new string('ә', length));
            Assert.Equal(HttpStatusCode.OK, refused.Status);
            Assert.Equal("/cabinet/requests/new", refused.Url.AbsolutePath);
            Assert.Equal(_app.Text("Requests.TextTooLong", 4000), refused.ErrorText("text-error"));
            Assert.NotNull(refused.Document.GetElementById("errors"));
        }
        var empty = await FileAsync(browser, RequestKind.Complaint, "   ");
        Assert.Equal(_app.Text("Validation.Required"), empty.ErrorText("text-error"));
        var noKind = await FileAsync(browser, "Nonsense", "Текст");
        Assert.Equal(_app.Text("Requests.KindRequired"), noKind.ErrorText("kind-error"));
        Assert.Empty(await RequestsOfAsync(id));
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == id.ToString() && e.Action == "request.filed")));
        await Task.Delay(500);
        Assert.Equal(mailBefore, _app.Mail.All(customer.Email).Count);

        // Exactly at the limit, with line breaks as a browser sends them (CR LF counts as one), it is filed.
        var lines = string.Join("\r\n", Enumerable.Repeat(new string('ә', 99), 40));
        Assert.Equal(3999, lines.Replace("\r\n", "\n", StringComparison.Ordinal).Length);
        var filed = await FileAsync(browser, RequestKind.Complaint, lines + "ә");
        Assert.Matches(@"^/cabinet/requests/\d+$", filed.Url.AbsolutePath);
    }

    [Fact]
    public async Task ARectificationTakesAPdfJpegOrPngAndRefusesAnyOtherFile()
    {
        var (_, id, browser) = await SignedInAsync();
        using var _ = browser;
        var documents = Path.Combine(_app.DataDirectory, "documents");
        int StoredFiles() => Directory.Exists(documents) ? Directory.GetFiles(documents, "*", SearchOption.AllDirectories).Length : 0;
        var before = StoredFiles();

        var html = await FileAsync(browser, RequestKind.Rectification, "Тегім қате жазылған", new Upload("Document", "passport.pdf", SampleFiles.Html(), "application/pdf"));
        Assert.Equal(_app.Text("Documents.Rejected.NotAllowedType", "passport.pdf", 10), html.ErrorText("document-error"));
        var exe = await FileAsync(browser, RequestKind.Rectification, "Тегім қате жазылған", new Upload("Document", "scan.png", SampleFiles.WindowsExe(), "image/png"));
        Assert.Equal(_app.Text("Documents.Rejected.NotAllowedType", "scan.png", 10), exe.ErrorText("document-error"));
        // The text typed is kept on the page for the next try.
        Assert.Equal("Тегім қате жазылған", exe.Document.GetElementById("Input_Text")?.TextContent.Trim());
        var notHere = await FileAsync(browser, RequestKind.Blocking, "Бұғаттаңыз", new Upload("Document", "proof.pdf", SampleFiles.MinimalPdf(), "application/pdf"));
        Assert.Equal(_app.Text("Requests.DocumentOnlyForRectification"), notHere.ErrorText("document-error"));
        Assert.Empty(await RequestsOfAsync(id));
        Assert.Equal(before, StoredFiles());

        foreach (var (name, bytes, type) in new[] { ("scan.jpg", SampleFiles.SmallJpeg(), "image/jpeg"), ("scan.png", SampleFiles.SmallPng(), "image/png"), ("letter.pdf", SampleFiles.MinimalPdf(), "application/pdf") })
        {
            var filed = await FileAsync(browser, RequestKind.Rectification, "Тегім қате жазылған", new Upload("Document", name, bytes, type));
            Assert.Matches(@"^/cabinet/requests/\d+$", filed.Url.AbsolutePath);
            Assert.Equal(name, filed.Document.QuerySelector("#files a")?.TextContent.Trim());
        }
        var stored = await RequestsOfAsync(id);
        Assert.Equal(new[] { "image/jpeg", "image/png", "application/pdf" }, stored.Select(r => Assert.Single(r.Attachments).ContentType));
        Assert.Equal(before + 3, StoredFiles());
        // Sealed on disk: the PDF's own bytes are not there in the clear.
        var pdf = stored[^1].Attachments[0];
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(documents, pdf.StorageName[..2], pdf.StorageName));
        Assert.Equal(-1, onDisk.AsSpan().IndexOf("%PDF"u8));
    }

    [Fact]
    public async Task RequestsFiledAtOnceGetDistinctNumbersInSequence()
    {
        var (_, first, one) = await SignedInAsync();
        var (_, second, two) = await SignedInAsync();
        using var _ = one;
        using var __ = two;
        var formOne = await one.GetAsync("/cabinet/requests/new");
        var formTwo = await two.GetAsync("/cabinet/requests/new");
        var posts = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? one : two).SubmitAsync(i % 2 == 0 ? formOne : formTwo, new Dictionary<string, string>
        {
            ["Input.Kind"] = nameof(RequestKind.Information),
            ["Input.Text"] = $"Сұрау {i}",
        }));
        var pages = await Task.WhenAll(posts);
        Assert.All(pages, p => Assert.Matches(@"^/cabinet/requests/\d+$", p.Url.AbsolutePath));
        var stored = (await RequestsOfAsync(first)).Concat(await RequestsOfAsync(second)).ToList();
        Assert.Equal(8, stored.Count);
        Assert.Equal(8, stored.Select(r => r.Number).Distinct().Count());
        // Numbers follow each other with no gap within the year.
        var sequences = stored.Where(r => r.Year == stored[0].Year).Select(r => r.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range(sequences[0], sequences.Count), sequences);
        Assert.All(stored, r => Assert.Equal(CustomerRequest.FormatNumber("SMALL", r.Year, r.Sequence), r.Number));
    }
}

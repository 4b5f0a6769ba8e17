using System.Globalization;
using System.Net;
using System.Text;
using Derbes.Tests.Documents;
using Derbes.Web.Requests;
using Derbes.Web.Security;
using Derbes.Web.Tests.Api;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Requests;

/// <summary>
/// The staff side of requests and complaints (issue 7): letters entered with the day they came, the desk by due
/// date, reclassification to a statutory request's shorter term from the original receipt, extensions with a
/// reason the customer is told, questions the customer answers in the cabinet, the written answer by email and in
/// the cabinet, closing; and two members of staff acting at once.
/// </summary>
public sealed class RequestDeskTests
{
    /// <summary>Friday 20 March 2026, 10:00 in Almaty: Nauryz (21–23, and 24–25 off in its place) is ahead.</summary>
    private static readonly DateTimeOffset BeforeNauryz = new(2026, 3, 20, 5, 0, 0, TimeSpan.Zero);

    private static async Task<(NewCustomer Customer, Guid Id, Browser Browser)> CustomerAsync(DerbesApp app, string language = "kk")
    {
        var browser = app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser, Journeys.Someone(language));
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        return (customer, await app.AccountIdAsync(customer.Email), browser);
    }

    private static async Task<(StaffLogin Login, Browser Browser)> StaffAsync(DerbesApp app, string role = StaffRoles.Support)
    {
        var login = await StaffJourneys.CreateAsync(app, role);
        var browser = app.NewBrowser();
        await StaffJourneys.SignInAsync(app, browser, login);
        return (login, browser);
    }

    private static async Task<CustomerRequest> FileAsync(DerbesApp app, Browser customer, RequestKind kind, string text)
    {
        var form = await customer.GetAsync("/cabinet/requests/new");
        var filed = await customer.SubmitAsync(form, new Dictionary<string, string> { ["Input.Kind"] = kind.ToString(), ["Input.Text"] = text });
        var id = long.Parse(filed.Url.AbsolutePath.Split('/')[^1], CultureInfo.InvariantCulture);
        return await RequestAsync(app, id);
    }

    private static Task<CustomerRequest> RequestAsync(DerbesApp app, long id) =>
        app.WithDbAsync(db => db.CustomerRequests.AsNoTracking().Include(r => r.Attachments).Include(r => r.Events).AsSplitQuery().SingleAsync(r => r.Id == id));

    private static Task<WebPage> StepAsync(Browser staff, WebPage page, string handler, Dictionary<string, string> fields) =>
        staff.SubmitAsync(page, fields, formSelector: $"form[action*='handler={handler}']");

    private static string Day(DateOnly date) => date.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);

    [Fact]
    public async Task StaffEnterAPaperLetterWithItsScanAndTheTermCountsFromTheDayItCame()
    {
        using var app = new DerbesApp(startAt: new DateTimeOffset(2026, 3, 27, 5, 0, 0, TimeSpan.Zero));
        var (customer, id, browser) = await CustomerAsync(app, "ru");
        using var _ = browser;
        var (login, staff) = await StaffAsync(app);
        using var __ = staff;
        var record = await staff.SubmitAsync(await staff.GetAsync($"/admin/customers/{id}"), new Dictionary<string, string> { ["Reason"] = "Complaint", ["Reference"] = "Вх-2026-0311" });
        var link = record.Document.GetElementById("enter-request")!.GetAttribute("href")!;
        var form = await staff.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, form.Status);
        var fields = new Dictionary<string, string>
        {
            ["Kind"] = "Complaint",
            ["Channel"] = "Paper",
            ["ReceivedOn"] = "2026-03-20",
            ["Identification"] = "SignedLetterWithId",
            ["Text"] = "Прошу разобраться: мне звонят с рекламой, хотя я не соглашался.",
        };

        // A paper letter comes with its scan; the scan is a PDF, JPEG or PNG; the day is not in the future; the
        // sender's identification is said. Each refusal stores nothing.
        var noScan = await staff.SubmitAsync(form, fields);
        Assert.Equal(app.Text("Intake.LetterRequired"), noScan.ErrorText("letter-error"));
        var notAScan = await staff.SubmitAsync(form, fields, [new Upload("Letter", "letter.txt", Encoding.UTF8.GetBytes("just text"), "text/plain")]);
        Assert.StartsWith(app.Text("Documents.Rejected.NotAllowedType", "letter.txt", 10)[..10], notAScan.ErrorText("letter-error"), StringComparison.Ordinal);
        var future = await staff.SubmitAsync(form, new Dictionary<string, string>(fields) { ["ReceivedOn"] = "2026-03-28" }, [new Upload("Letter", "scan.pdf", SampleFiles.MinimalPdf(), "application/pdf")]);
        Assert.Equal(app.Text("Intake.ReceivedOnInvalid"), future.ErrorText("received-error"));
        var unidentified = await staff.SubmitAsync(form, new Dictionary<string, string>(fields) { ["Identification"] = "" }, [new Upload("Letter", "scan.pdf", SampleFiles.MinimalPdf(), "application/pdf")]);
        Assert.Equal(app.Text("Intake.IdentificationRequired"), unidentified.ErrorText("identification-error"));
        var tooLong = await staff.SubmitAsync(form, new Dictionary<string, string>(fields) { ["Text"] = new string('ж', 1024 * 1024) }, [new Upload("Letter", "scan.pdf", SampleFiles.MinimalPdf(), "application/pdf")]);
        Assert.Equal(app.Text("Requests.TextTooLong", 4000), tooLong.ErrorText("text-error"));
        Assert.Equal(0, await app.WithDbAsync(db => db.CustomerRequests.CountAsync(r => r.AccountId == id)));

        var entered = await staff.SubmitAsync(form, fields, [new Upload("Letter", "scan.pdf", SampleFiles.MinimalPdf(), "application/pdf")]);
        Assert.Matches(@"^/admin/requests/\d+$", entered.Url.AbsolutePath);
        Assert.Contains(app.Text("Intake.Entered"), entered.Text, StringComparison.Ordinal);
        var request = await RequestAsync(app, long.Parse(entered.Url.AbsolutePath.Split('/')[^1], CultureInfo.InvariantCulture));
        Assert.Equal((RequestChannel.Paper, new DateOnly(2026, 3, 20), SenderIdentification.SignedLetterWithId, login.Id), (request.Channel, request.ReceivedOn, request.Identification, request.EnteredBy));
        // Thirty working days from Friday 20 March: Nauryz (23–25 March), 1 and 7 May off: Friday 8 May.
        Assert.Equal(new DateOnly(2026, 5, 8), request.DueOn);
        var scan = Assert.Single(request.Attachments);
        Assert.Equal(login.Id, scan.AddedBy);

        // The customer is acknowledged in their language with the number and the due date, and sees it in the cabinet.
        var mail = await app.Mail.WaitForAsync(customer.Email, app.TextIn("ru", "Email.RequestReceived.Subject", "SMALL"));
        Assert.Contains(request.Number, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("08.05.2026", mail.TextBody, StringComparison.Ordinal);
        var theirs = await browser.GetAsync($"/cabinet/requests/{request.Id}");
        Assert.Equal(HttpStatusCode.OK, theirs.Status);
        Assert.Equal(fields["Text"], theirs.ErrorText("text"));

        // The entry names the member of staff.
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "request.entered" && e.Subject == id.ToString()));
        Assert.Equal(login.Id.ToString(), audit.Actor);
        Assert.Equal($"{request.Number}:Complaint:Paper:20260320", audit.Outcome);

        // Staff open the scan from the desk (audited); a customer cannot reach the desk.
        var download = await staff.Client.GetAsync($"/admin/requests/{request.Id}?handler=file&fileId={scan.Id}");
        Assert.Equal(SampleFiles.MinimalPdf(), await download.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "request.file-opened-by-staff" && e.Subject == id.ToString())));
        Assert.NotEqual(HttpStatusCode.OK, (await browser.Client.GetAsync($"/admin/requests/{request.Id}")).StatusCode);
    }

    [Fact]
    public async Task AComplaintReclassifiedAsARectificationIsDueOneWorkingDayAfterItsReceiptAndShowsOverdue()
    {
        using var app = new DerbesApp(startAt: BeforeNauryz);
        var (customer, id, browser) = await CustomerAsync(app);
        using var _ = browser;
        var request = await FileAsync(app, browser, RequestKind.Complaint, "Тегім қате жазылған, түзетуді сұраймын.");
        Assert.Equal(new DateOnly(2026, 5, 8), request.DueOn);

        // Monday 30 March: staff see that it is in substance a rectification.
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 30, 4, 0, 0, TimeSpan.Zero));
        var (_, staff) = await StaffAsync(app);
        using var __ = staff;
        var page = await staff.GetAsync($"/admin/requests/{request.Id}");
        var noReason = await StepAsync(staff, page, "reclassify", new() { ["NewKind"] = "Rectification", ["Text"] = "" });
        Assert.Equal(app.Text("Desk.Error.TextMissing"), noReason.ErrorText("step-error"));
        var done = await StepAsync(staff, page, "reclassify", new() { ["NewKind"] = "Rectification", ["Text"] = "Шағым мәні бойынша деректерді түзету туралы өтініш." });
        Assert.Contains(app.Text("Desk.Reclassified"), done.Text, StringComparison.Ordinal);

        // One working day after Friday 20 March, across Nauryz: Thursday 26 March, already past.
        var changed = await RequestAsync(app, request.Id);
        Assert.Equal((RequestKind.Rectification, new DateOnly(2026, 3, 26)), (changed.Kind, changed.DueOn));
        var step = Assert.Single(changed.Events, e => e.Type == RequestEventType.Reclassified);
        Assert.Equal((RequestKind.Complaint, RequestKind.Rectification, new DateOnly(2026, 5, 8), new DateOnly(2026, 3, 26)), (step.FromKind!.Value, step.ToKind!.Value, step.DueBefore!.Value, step.DueAfter!.Value));
        var desk = await staff.GetAsync("/admin/requests");
        var row = desk.Document.QuerySelector($"tr[data-number='{request.Number}']")!;
        Assert.Contains("urgency-overdue", row.ClassName, StringComparison.Ordinal);
        Assert.Contains(app.Text("Urgency.Overdue"), row.TextContent, StringComparison.Ordinal);
        Assert.Contains(app.Text("Desk.Count.Overdue", 1), desk.Text, StringComparison.Ordinal);

        // The customer is told the new kind and date, and sees the step in the cabinet.
        var mail = await app.Mail.WaitForAsync(customer.Email, app.Text("Email.RequestReclassified.Subject", "SMALL"));
        Assert.Contains("26.03.2026", mail.TextBody, StringComparison.Ordinal);
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        var theirs = await browser.GetAsync($"/cabinet/requests/{request.Id}");
        Assert.Contains(app.Text("RequestEvent.Reclassified"), theirs.Document.GetElementById("history")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "request.reclassified" && e.Subject == id.ToString())));
    }

    [Fact]
    public async Task AnExtensionNeedsAReasonWithinTheLimitAndTheCustomerIsToldBoth()
    {
        using var app = new DerbesApp(startAt: BeforeNauryz);
        var (customer, _, browser) = await CustomerAsync(app);
        using var __ = browser;
        var request = await FileAsync(app, browser, RequestKind.Information, "Мен туралы қандай деректер сақталады?");
        // Three working days after Friday 20 March: 26, 27, 30 March.
        Assert.Equal(new DateOnly(2026, 3, 30), request.DueOn);
        var (_, staff) = await StaffAsync(app, StaffRoles.PrivacyOfficer);
        using var ___ = staff;
        var page = await staff.GetAsync($"/admin/requests/{request.Id}");

        var noReason = await StepAsync(staff, page, "extend", new() { ["Days"] = "2", ["Text"] = " " });
        Assert.Equal(app.Text("Desk.Error.TextMissing"), noReason.ErrorText("step-error"));
        var tooMany = await StepAsync(staff, page, "extend", new() { ["Days"] = "31", ["Text"] = "Себеп" });
        Assert.Equal(app.Text("Desk.DaysOutOfRange", 30), tooMany.ErrorText("step-error"));
        var none = await StepAsync(staff, page, "extend", new() { ["Days"] = "0", ["Text"] = "Себеп" });
        Assert.Equal(app.Text("Desk.DaysOutOfRange", 30), none.ErrorText("step-error"));
        Assert.Equal(new DateOnly(2026, 3, 30), (await RequestAsync(app, request.Id)).DueOn);

        const string reason = "Мұрағаттан деректерді алу үшін қосымша уақыт қажет.";
        await StepAsync(staff, page, "extend", new() { ["Days"] = "2", ["Text"] = reason });
        Assert.Equal(new DateOnly(2026, 4, 1), (await RequestAsync(app, request.Id)).DueOn);
        var mail = await app.Mail.WaitForAsync(customer.Email, app.Text("Email.RequestExtended.Subject", "SMALL"));
        Assert.Contains(app.Text("Email.RequestExtended.Body", "SMALL", request.Number, "01.04.2026", reason), mail.TextBody, StringComparison.Ordinal);
        var theirs = await browser.GetAsync($"/cabinet/requests/{request.Id}");
        Assert.Contains(reason, theirs.Document.GetElementById("history")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQuestionWaitsForTheCustomersReplyInTheCabinetAndNotesStayWithStaff()
    {
        using var app = new DerbesApp(new Dictionary<string, string?> { ["Requests:PauseWhileAwaitingCustomer"] = "true" }, startAt: BeforeNauryz);
        var (customer, _, browser) = await CustomerAsync(app);
        using var _ = browser;
        var request = await FileAsync(app, browser, RequestKind.Complaint, "Шағым мәтіні");
        var (login, staff) = await StaffAsync(app);
        using var __ = staff;
        var page = await staff.GetAsync($"/admin/requests/{request.Id}");
        const string note = "Ішкі: клиенттің алдыңғы хатын тексеру керек";
        page = await StepAsync(staff, page, "note", new() { ["Text"] = note });
        const string question = "Жарнама қай нөмірге келді?";
        await StepAsync(staff, page, "ask", new() { ["Text"] = question });
        var asked = await RequestAsync(app, request.Id);
        Assert.Equal((RequestStatus.AwaitingCustomer, new DateOnly(2026, 3, 20)), (asked.Status, asked.PausedOn!.Value));
        await app.Mail.WaitForAsync(customer.Email, app.Text("Email.RequestQuestion.Subject", "SMALL"));

        // The customer sees the question, never the note, and replies on Monday 30 March: the clock stopped for the
        // working days they took (26, 27 and 30 March), so the due date moves three working days later: from Friday
        // 8 May past Monday 11 May (off for Saturday 9 May) to Thursday 14 May.
        var theirs = await browser.GetAsync($"/cabinet/requests/{request.Id}");
        Assert.Contains(question, theirs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(note, theirs.Text, StringComparison.Ordinal);
        Assert.Equal(app.Text("RequestStatus.AwaitingCustomer"), theirs.ErrorText("status"));
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 30, 6, 0, 0, TimeSpan.Zero));
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        theirs = await browser.GetAsync($"/cabinet/requests/{request.Id}");
        var empty = await browser.SubmitAsync(theirs, new Dictionary<string, string> { ["Reply"] = "" }, formSelector: "form[action*='handler=reply']");
        Assert.Equal(app.Text("Validation.Required"), empty.ErrorText("reply-error"));
        var replied = await browser.SubmitAsync(theirs, new Dictionary<string, string> { ["Reply"] = "+7 701 000 00 00 нөміріне" }, formSelector: "form[action*='handler=reply']");
        Assert.Contains(app.Text("Requests.ReplySent"), replied.Text, StringComparison.Ordinal);
        Assert.Null(replied.Document.GetElementById("reply-title"));
        var back = await RequestAsync(app, request.Id);
        Assert.Equal((RequestStatus.InProgress, (DateOnly?)null), (back.Status, back.PausedOn));
        Assert.Equal(new DateOnly(2026, 5, 14), back.DueOn);

        // "My data" carries the question and the reply (what was said to and by the customer), never the note.
        using (var report = System.Text.Json.JsonDocument.Parse(await browser.Client.GetStringAsync("/cabinet/my-data?handler=json")))
        {
            var steps = report.RootElement.GetProperty("requests")[0].GetProperty("history");
            Assert.Equal([question, "+7 701 000 00 00 нөміріне"], steps.EnumerateArray().Select(h => h.GetProperty("text").GetString()));
        }
        Assert.DoesNotContain(note, (await browser.GetAsync("/cabinet/my-data")).Text, StringComparison.Ordinal);

        // A second reply is not awaited; staff see the reply and the note.
        var again = await browser.SubmitAsync(theirs, new Dictionary<string, string> { ["Reply"] = "тағы" }, formSelector: "form[action*='handler=reply']");
        Assert.Contains(app.Text("Requests.ReplyNotAwaited"), again.Text, StringComparison.Ordinal);
        await StaffJourneys.SignInAsync(app, staff, login);
        var desk = await staff.GetAsync($"/admin/requests/{request.Id}");
        var history = desk.Document.GetElementById("history")!.TextContent;
        Assert.Contains(note, history, StringComparison.Ordinal);
        Assert.Contains("+7 701 000 00 00", history, StringComparison.Ordinal);
        // The note is sealed: not in the database file in the clear.
        var raw = await app.RawDatabaseAsync();
        Assert.Equal(-1, raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(note)));
        // Both pages load the request with its attachments and its history, and EF Core never warned about a query's
        // shape (one query for two collections repeats each attachment once per event).
        Assert.DoesNotContain(app.Logged.GetSnapshot(), e => e.Category == "Microsoft.EntityFrameworkCore.Query");
    }

    [Fact]
    public async Task TheAnswerGoesByEmailAndToTheCabinetThenTheRequestClosesAndTakesNoSecondAnswer()
    {
        using var app = new DerbesApp(startAt: BeforeNauryz);
        var (customer, id, browser) = await CustomerAsync(app, "ru");
        using var _ = browser;
        var request = await FileAsync(app, browser, RequestKind.Information, "Какие данные вы храните?");
        var (login, staff) = await StaffAsync(app);
        using var __ = staff;

        // The template is in the customer's language (ru), with their name and the number; the kk one is a click away.
        var page = await staff.GetAsync($"/admin/requests/{request.Id}");
        var template = page.Document.GetElementById("answer-text")!.TextContent;
        Assert.Contains(request.Number, template, StringComparison.Ordinal);
        Assert.StartsWith($"Уважаемый(ая) {customer.FirstName}!", template, StringComparison.Ordinal);
        var kk = await staff.GetAsync($"/admin/requests/{request.Id}?lang=kk");
        Assert.StartsWith($"Құрметті {customer.FirstName}!", kk.Document.GetElementById("answer-text")!.TextContent, StringComparison.Ordinal);
        // Unanswered, it cannot be closed (the page offers no such step, and the service refuses).
        Assert.Null(page.Document.QuerySelector("form[action*='handler=close']"));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            Assert.Equal(DeskResult.NotAnswered, await scope.ServiceProvider.GetRequiredService<RequestDesk>().CloseAsync(request.Id, request.Version, CancellationToken.None));
        }

        var answer = "Уважаемый клиент!\nМы храним ваше имя, фамилию, email и телефон.\nС уважением, SMALL";
        var sent = await StepAsync(staff, page, "answer", new() { ["Text"] = answer });
        Assert.Contains(app.Text("Desk.AnswerSent"), sent.Text, StringComparison.Ordinal);
        var answered = await RequestAsync(app, request.Id);
        Assert.Equal((RequestStatus.Answered, login.Id), (answered.Status, answered.AnsweredBy!.Value));
        var mail = await app.Mail.WaitForAsync(customer.Email, app.TextIn("ru", "Email.RequestAnswered.Subject", "SMALL"));
        Assert.Contains(answer.Replace("\n", Environment.NewLine, StringComparison.Ordinal), mail.TextBody!.Replace("\r\n", Environment.NewLine, StringComparison.Ordinal), StringComparison.Ordinal);
        var theirs = await browser.GetAsync($"/cabinet/requests/{request.Id}");
        Assert.Equal(answer, theirs.ErrorText("answer").Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "request.answered" && e.Subject == id.ToString() && e.Outcome == request.Number + ":on-time")));

        // An answered request takes no second answer (a form loaded before it was answered is refused), then closes.
        var second = await StepAsync(staff, page, "answer", new() { ["Text"] = "Второй ответ" });
        Assert.Equal(app.Text("Desk.Error.Conflict"), second.ErrorText("step-error"));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var desk = scope.ServiceProvider.GetRequiredService<RequestDesk>();
            Assert.Equal(DeskResult.NotOpen, await desk.AnswerAsync(request.Id, answered.Version, "Второй ответ", CancellationToken.None));
        }
        var closed = await StepAsync(staff, sent, "close", new());
        Assert.Contains(app.Text("Desk.ClosedNotice"), closed.Text, StringComparison.Ordinal);
        var final = await RequestAsync(app, request.Id);
        Assert.Equal(RequestStatus.Closed, final.Status);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var desk = scope.ServiceProvider.GetRequiredService<RequestDesk>();
            Assert.Equal(DeskResult.NotOpen, await desk.AnswerAsync(request.Id, final.Version, "После закрытия", CancellationToken.None));
            Assert.Equal(DeskResult.NotOpen, await desk.CloseAsync(request.Id, final.Version, CancellationToken.None));
        }
        Assert.Single(app.Mail.All(customer.Email), m => m.Subject == app.TextIn("ru", "Email.RequestAnswered.Subject", "SMALL"));
        var done = await staff.GetAsync("/admin/requests?done=true");
        Assert.NotNull(done.Document.QuerySelector($"tr[data-number='{request.Number}']"));
        Assert.Null((await staff.GetAsync("/admin/requests")).Document.QuerySelector($"tr[data-number='{request.Number}']"));
    }

    [Fact]
    public async Task TwoMembersOfStaffAnsweringAtOnceSendOneAnswer()
    {
        using var app = new DerbesApp(startAt: BeforeNauryz);
        var (customer, _, browser) = await CustomerAsync(app);
        using var _ = browser;
        var request = await FileAsync(app, browser, RequestKind.Complaint, "Шағым");

        // Two pages loaded at the same version: the second to send is told, and nothing of theirs is saved.
        var (_, first) = await StaffAsync(app);
        using var __ = first;
        var (_, second) = await StaffAsync(app, StaffRoles.PrivacyOfficer);
        using var ___ = second;
        var firstPage = await first.GetAsync($"/admin/requests/{request.Id}");
        var secondPage = await second.GetAsync($"/admin/requests/{request.Id}");
        await StepAsync(first, firstPage, "answer", new() { ["Text"] = "Бірінші жауап" });
        var late = await StepAsync(second, secondPage, "answer", new() { ["Text"] = "Екінші жауап" });
        Assert.Equal(app.Text("Desk.Error.Conflict"), late.ErrorText("step-error"));
        // What they wrote is on the page to keep, not lost; the customer has the first answer only.
        Assert.Equal("Екінші жауап", late.ErrorText("unsaved"));
        Assert.Equal("Бірінші жауап", (await browser.GetAsync($"/cabinet/requests/{request.Id}")).ErrorText("answer"));

        // Truly at once, through the service from two scopes: exactly one wins.
        var other = await FileAsync(app, browser, RequestKind.Complaint, "Екінші шағым");
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RequestDesk>().AnswerAsync(other.Id, other.Version, $"Жауап {i}", CancellationToken.None);
        }));
        Assert.Equal([DeskResult.Done, DeskResult.Conflict], results.Order());
        Assert.Single(await app.WithDbAsync(db => db.RequestEvents.Where(e => e.RequestId == other.Id && e.Type == RequestEventType.Answered).ToListAsync()));
        // One answer email per request: the outbox delivers both within seconds, and no third comes.
        var subject = app.Text("Email.RequestAnswered.Subject", "SMALL");
        for (var waited = 0; waited < 100 && app.Mail.All(customer.Email).Count(m => m.Subject == subject) < 2; waited++)
        {
            await Task.Delay(100);
        }
        await Task.Delay(500);
        Assert.Equal(2, app.Mail.All(customer.Email).Count(m => m.Subject == subject));
    }

    [Fact]
    public async Task TheAppShowsTheQuestionInTheHistoryAndRepliesToIt()
    {
        using var app = new DerbesApp(startAt: BeforeNauryz);
        var (customer, _, browser) = await CustomerAsync(app);
        using var customerBrowser = browser;
        var request = await FileAsync(app, browser, RequestKind.BreachReport, "Менің деректерім бөгде біреуге жеткен сияқты.");
        var (_, staff) = await StaffAsync(app);
        using var __ = staff;
        await StepAsync(staff, await staff.GetAsync($"/admin/requests/{request.Id}"), "ask", new() { ["Text"] = "Қашан байқадыңыз?" });

        using var api = ApiClient.For(app);
        var pair = await api.TokensAsync(customer.Email, customer.Password);
        var detail = await api.GetAsync($"/api/v1/me/requests/{request.Id}", pair.Access);
        Assert.Equal("awaiting-customer", detail.Json.GetProperty("status").GetString());
        var step = detail.Json.GetProperty("history")[0];
        Assert.Equal(("asked-customer", "Қашан байқадыңыз?"), (step.GetProperty("type").GetString(), step.GetProperty("text").GetString()));
        Assert.True((await api.SendAsync(HttpMethod.Post, $"/api/v1/me/requests/{request.Id}/reply", new { text = " " }, pair.Access)).Json.GetProperty("errors").TryGetProperty("text", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Post, $"/api/v1/me/requests/{request.Id}/reply", new { text = "Кеше" }, pair.Access)).Status);
        var again = await api.SendAsync(HttpMethod.Post, $"/api/v1/me/requests/{request.Id}/reply", new { text = "Тағы" }, pair.Access);
        Assert.Equal((HttpStatusCode.Conflict, "urn:derbes:problem:request-not-awaiting-reply"), (again.Status, again.ProblemType));
        Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Post, "/api/v1/me/requests/999999/reply", new { text = "x" }, pair.Access)).Status);
        Assert.Equal(RequestStatus.InProgress, (await RequestAsync(app, request.Id)).Status);
    }

    [Fact]
    public async Task OnlySupportAndThePrivacyOfficerReachTheDeskAndAnUnknownIdIsNotFound()
    {
        using var app = new DerbesApp(startAt: BeforeNauryz);
        var (_, _, browser) = await CustomerAsync(app);
        using var _ = browser;
        var request = await FileAsync(app, browser, RequestKind.Complaint, "Шағым");
        foreach (var role in new[] { StaffRoles.Marketing, StaffRoles.Administrator })
        {
            var (_, staff) = await StaffAsync(app, role);
            using var __ = staff;
            foreach (var url in new[] { "/admin/requests", $"/admin/requests/{request.Id}" })
            {
                var response = await staff.Client.GetAsync(url);
                Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Redirect, $"{role} {url}: {response.StatusCode}");
                Assert.DoesNotContain("Шағым", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        var (_, support) = await StaffAsync(app);
        using var ___ = support;
        Assert.Equal(HttpStatusCode.NotFound, (await support.GetAsync("/admin/requests/999999")).Status);
        var list = await support.GetAsync("/admin/requests");
        Assert.NotNull(list.Document.QuerySelector($"tr[data-number='{request.Number}']"));
        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "request.opened-by-staff")));
        await support.GetAsync($"/admin/requests/{request.Id}");
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "request.opened-by-staff")));
    }
}

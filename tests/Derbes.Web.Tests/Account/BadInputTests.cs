using System.Diagnostics;
using System.Net;
using System.Text;
using AngleSharp.Html.Dom;
using Derbes.Tests.Documents;
using Derbes.Web.Customers;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Account;

/// <summary>
/// Issue 2's list of bad input, each through the real registration form at /account/register: what the
/// person sees next to the field, what is (not) stored, and that nothing hostile reaches a page or an email.
/// </summary>
public sealed class BadInputTests : IClassFixture<BadInputTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public BadInputTests(App app) => _app = app;

    // ------------------------------------------------------------------ fields

    [Theory]
    [InlineData("kk", "")]
    [InlineData("ru", "?lang=ru")]
    public async Task EmptyFieldsEachShowARequiredErrorNextToTheFieldInThePagesLanguage(string language, string query)
    {
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync("/account/register" + query);
        Assert.Equal(language, form.Document.DocumentElement.GetAttribute("lang"));
        var page = await browser.SubmitAsync(form, new Dictionary<string, string>
        {
            ["Input.FirstName"] = "",
            ["Input.LastName"] = "",
            ["Input.Email"] = "",
            ["Input.Phone"] = "",
            ["Input.Password"] = "",
        });

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/account/register", page.Url.AbsolutePath);
        var required = _app.TextIn(language, "Validation.Required");
        foreach (var field in new[] { "first-name-error", "last-name-error", "email-error", "phone-error", "password-error" })
        {
            Assert.Equal(required, page.ErrorText(field));
        }
        Assert.Contains(_app.TextIn(language, "Documents.Required"), page.ErrorText("documents-error"), StringComparison.Ordinal);
        Assert.Equal(_app.TextIn(language, "Register.ConsentRequired"), page.ErrorText("processing-error"));
        Assert.Equal(_app.TextIn(language, "Register.AttestRequired"), page.ErrorText("attest-error"));
        // Each input points at its own error, so a screen reader reads the error with the field.
        Assert.Contains("first-name-error", page.Document.GetElementById("Input_FirstName")!.GetAttribute("aria-describedby"), StringComparison.Ordinal);
        Assert.NotEqual(_app.TextIn("kk", "Validation.Required"), _app.TextIn("ru", "Validation.Required"));
    }

    [Fact]
    public async Task AFirstNameOf101CharactersIsRefusedAsTooLong()
    {
        var customer = Journeys.Someone() with { FirstName = new string('Ә', 101) };
        var page = await RegisterAsync(customer);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Validation.TooLong"), page.ErrorText("first-name-error"));
        Assert.Equal("", page.ErrorText("last-name-error"));
        Assert.Null(await FindAsync(customer.Email));
    }

    [Fact]
    public async Task AnEmailOf300CharactersIsRefusedAsTooLong()
    {
        var customer = Journeys.Someone();
        customer = customer with { Email = new string('a', 300 - customer.Email.Length) + customer.Email };
        Assert.Equal(300, customer.Email.Length);
        var page = await RegisterAsync(customer);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Validation.TooLong"), page.ErrorText("email-error"));
        Assert.Null(await FindAsync(customer.Email));
    }

    [Fact]
    public async Task ScriptAndSqlInNamesAreStoredAsTypedAndShownEncodedInTheCabinetAndTheEmails()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone() with { FirstName = "<script>alert(1)</script>", LastName = "Robert'); DROP TABLE Users;--" };
        var done = await Journeys.RegisterAsync(browser, customer);
        Assert.Equal("/account/register/done", done.Url.AbsolutePath);

        // Stored exactly as typed (opened from its sealed form, as the app itself would).
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var directory = scope.ServiceProvider.GetRequiredService<AccountDirectory>();
            var account = await directory.FindByEmailAsync(customer.Email, CancellationToken.None);
            Assert.NotNull(account);
            var profile = directory.Open(account);
            Assert.Equal(customer.FirstName, profile.FirstName);
            Assert.Equal(customer.LastName, profile.LastName);
        }

        await Journeys.ConfirmEmailAsync(_app, browser, customer);
        var cabinet = await Journeys.SignInAsync(browser, customer.Email, customer.Password);
        Assert.Equal("/cabinet", cabinet.Url.AbsolutePath);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", cabinet.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", cabinet.Body, StringComparison.OrdinalIgnoreCase);
        // The browser shows the characters themselves: the name as typed, not as markup.
        Assert.Contains(customer.FirstName + " " + customer.LastName, cabinet.Text, StringComparison.Ordinal);
        Assert.Empty(cabinet.Document.QuerySelectorAll("main script"));

        // Every email to the customer (confirmation, documents received) encodes the name in its HTML part.
        var emails = _app.Mail.All(customer.Email);
        Assert.True(emails.Count >= 2, $"expected the confirmation and documents emails, got {emails.Count}");
        Assert.All(emails, mail =>
        {
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", mail.HtmlBody, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(customer.FirstName, mail.TextBody, StringComparison.Ordinal);
        });

        // And the Users table is, of course, still there.
        Assert.True(await _app.WithDbAsync(db => db.Users.CountAsync()) >= 1);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("8 701 123 45")]
    [InlineData("8 701 123 45 678")]
    [InlineData("8 727 250 00 00")]
    [InlineData("+1 202 555 0143")]
    [InlineData("телефон")]
    public async Task AnInvalidPhoneIsRefusedWithThePhoneError(string phone)
    {
        var customer = Journeys.Someone() with { PhoneTyped = phone };
        var page = await RegisterAsync(customer);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Validation.Phone"), page.ErrorText("phone-error"));
        Assert.Null(await FindAsync(customer.Email));
    }

    [Theory]
    [InlineData("+7 916 123 45 67")]
    [InlineData("8 916 123 45 67")]
    [InlineData("79161234567")]
    [InlineData("+7 (495) 123-45-67")]
    public async Task ARussianNumberIsRefusedWithThePhoneErrorThoughItSharesPlus7(string phone)
    {
        var customer = Journeys.Someone() with { PhoneTyped = phone };
        var page = await RegisterAsync(customer);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Validation.Phone"), page.ErrorText("phone-error"));
        Assert.Null(await FindAsync(customer.Email));
    }

    [Theory]
    [InlineData("a@")]
    [InlineData("@b.kz")]
    [InlineData("a b@c.kz")]
    [InlineData("a@b@c")]
    public async Task AMalformedEmailIsRefusedWithTheEmailError(string email)
    {
        var customer = Journeys.Someone() with { Email = email };
        var before = await _app.WithDbAsync(db => db.Users.CountAsync());
        var page = await RegisterAsync(customer);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Validation.Email"), page.ErrorText("email-error"));
        Assert.Equal(before, await _app.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task AOneMegabytePasswordGetsAClearTooLongErrorQuicklyAndIsNotEchoed()
    {
        var password = new string('q', 1024 * 1024);
        var customer = Journeys.Someone() with { Password = password };
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync("/account/register");

        var watch = Stopwatch.StartNew();
        var page = await browser.SubmitAsync(form, Journeys.Fields(customer), [Journeys.Document()]);
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(_app.TextIn("kk", "Password.TooLong", 8, 256), page.ErrorText("password-error"));
        Assert.Contains("256", page.ErrorText("password-error"), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the answer took {watch.Elapsed}");
        Assert.True(page.Body.Length < 200_000, "the password came back in the page");
        Assert.Null(await FindAsync(customer.Email));
    }

    // ------------------------------------------------------------------ documents

    [Fact]
    public Task AWindowsExecutableRenamedPdfIsRefused() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "passport.pdf", SampleFiles.WindowsExe(), "application/pdf"), DocumentRejection.NotAllowedType);

    [Fact]
    public Task AnSvgIsRefused() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "passport.svg", SampleFiles.Svg(), "image/svg+xml"), DocumentRejection.NotAllowedType);

    [Fact]
    public Task AnSvgNamedPngIsRefused() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "passport.png", SampleFiles.SvgWithXmlDeclaration(), "image/png"), DocumentRejection.NotAllowedType);

    [Fact]
    public Task APngClaiming50000By50000PixelsIsRefused() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "scan.png", SampleFiles.PngWithHugeHeader(), "image/png"), DocumentRejection.ImageDimensionsTooLarge);

    [Fact]
    public Task APdfWithJavaScriptIsRefused() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "passport.pdf", SampleFiles.PdfWithJavaScript(), "application/pdf"), DocumentRejection.PdfHasJavaScript);

    [Fact]
    public Task TheEicarTestFileIsRefusedByTheMalwareScan() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "passport.pdf", SampleFiles.EicarAfterPdfHeader(), "application/pdf"), DocumentRejection.Malware);

    [Fact]
    public Task TheBareEicarTestFileIsRefused() =>
        AssertDocumentRefusedAsync(new Upload("Documents", "eicar.com", SampleFiles.Eicar(), "application/octet-stream"), DocumentRejection.Malware);

    [Fact]
    public async Task AThirtyMegabyteUploadIsRefusedAndNothingIsStored()
    {
        var customer = Journeys.Someone();
        var big = new byte[30 * 1024 * 1024];
        SampleFiles.MinimalPdf().CopyTo(big, 0);
        var filesBefore = StoredFiles();

        var page = await RegisterAsync(customer, [new Upload("Documents", "huge.pdf", big, "application/pdf")]);

        Assert.NotEqual(HttpStatusCode.InternalServerError, page.Status);
        Assert.True(page.Status is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"status {page.Status}");
        if (page.Status == HttpStatusCode.OK)
        {
            Assert.Equal("/account/register", page.Url.AbsolutePath);
            Assert.Contains(_app.TextIn("kk", "Documents.Rejected.TooLarge", "huge.pdf", 10), page.ErrorText("documents-error"), StringComparison.Ordinal);
        }
        Assert.Null(await FindAsync(customer.Email));
        Assert.Equal(filesBefore, StoredFiles());
    }

    [Fact]
    public async Task FourFilesAreRefusedWithAtMostThree()
    {
        var customer = Journeys.Someone();
        var page = await RegisterAsync(customer, Enumerable.Range(1, 4).Select(i => Journeys.Document($"page{i}.pdf")));

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Documents.TooMany", 3), page.ErrorText("documents-error"));
        Assert.Equal("true", page.Document.GetElementById("documents")!.GetAttribute("aria-invalid"));
        Assert.Null(await FindAsync(customer.Email));
    }

    [Fact]
    public async Task NoFileIsRefusedAsRequired()
    {
        var customer = Journeys.Someone();
        var page = await RegisterAsync(customer, []);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Documents.Required"), page.ErrorText("documents-error"));
        Assert.Null(await FindAsync(customer.Email));
    }

    [Fact]
    public async Task AFileNameWithDotDotSlashAndNulIsAcceptedButStoredUnderAServerNameWithTheCleanedNameSealed()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        var form = await browser.GetAsync("/account/register");
        var fields = Journeys.Fields(customer);
        fields["__af"] = ((IHtmlInputElement)form.Document.QuerySelector("main form input[name=__af]")!).Value;

        // Written by hand: HttpClient would escape or refuse the NUL and the backslashes in the header.
        const string hostileName = "..\\/..\\/etc/passwd\0.pdf";
        var boundary = "----derbes" + Guid.NewGuid().ToString("N");
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        foreach (var (name, value) in fields)
        {
            Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        }
        Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"Documents\"; filename=\"{hostileName}\"\r\nContent-Type: application/pdf\r\n\r\n");
        body.Write(SampleFiles.MinimalPdf());
        Write($"\r\n--{boundary}--\r\n");
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        var done = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/account/register") { Content = content });

        Assert.Equal("/account/register/done", done.Url.AbsolutePath);
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Derbes.Web.Data.DerbesDb>();
        var account = await scope.ServiceProvider.GetRequiredService<AccountDirectory>().FindByEmailAsync(customer.Email, CancellationToken.None);
        Assert.NotNull(account);
        var document = await db.Documents.SingleAsync(d => d.AccountId == account.Id);
        Assert.Matches("^[0-9a-f]{32}$", document.StorageName);
        Assert.True(File.Exists(Path.Combine(_app.DataDirectory, "documents", document.StorageName[..2], document.StorageName)));
        var original = scope.ServiceProvider.GetRequiredService<PersonalDataVault>()
            .OpenString(account.Id, DocumentIntake.FieldOf(document.Id) + ":name", document.SealedOriginalName);
        Assert.Equal("passwd.pdf", original);
        // Nothing was written where the name pointed, nor anywhere outside the document folder.
        Assert.DoesNotContain(Directory.EnumerateFiles(_app.DataDirectory, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).Contains("passwd", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_app.DataDirectory, "etc")));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(_app.DataDirectory)!, "etc")));
    }

    [Fact]
    public async Task AMissingAntiforgeryTokenGets400AndCreatesNothing()
    {
        using var browser = _app.NewBrowser();
        var customer = Journeys.Someone();
        var filesBefore = StoredFiles();
        var outboxBefore = await _app.WithDbAsync(db => db.Outbox.CountAsync());
        var form = await browser.GetAsync("/account/register");
        var page = await browser.SubmitAsync(form, Journeys.Fields(customer), [Journeys.Document()], dropAntiforgery: true);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Single(browser.Hops);
        Assert.Null(await FindAsync(customer.Email));
        Assert.Equal(filesBefore, StoredFiles());
        Assert.Equal(outboxBefore, await _app.WithDbAsync(db => db.Outbox.CountAsync()));
    }

    [Fact]
    public async Task EverythingTypedIsKeptOnTheErrorPageExceptThePasswordAndTheFilesWhichMustBeChosenAgain()
    {
        var customer = Journeys.Someone("ru");
        using var browser = _app.NewBrowser();
        var form = await browser.GetAsync("/account/register");
        var fields = Journeys.Fields(customer, adEmail: true, adSms: false);
        fields["Input.Phone"] = "+7 916 123 45 67";
        var page = await browser.SubmitAsync(form, fields, [Journeys.Document()]);

        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.NotEmpty(page.ErrorText("phone-error"));
        Assert.Equal(customer.FirstName, Value(page, "Input_FirstName"));
        Assert.Equal(customer.LastName, Value(page, "Input_LastName"));
        Assert.Equal(customer.Email, Value(page, "Input_Email"));
        Assert.Equal("+7 916 123 45 67", Value(page, "Input_Phone"));
        Assert.Equal("ru", ((IHtmlSelectElement)page.Document.GetElementById("Input_Language")!).Value);
        Assert.True(Checked(page, "Input_AcceptProcessing"));
        Assert.True(Checked(page, "Input_AttestOwnData"));
        Assert.True(Checked(page, "Input_AdvertisingEmail"));
        Assert.False(Checked(page, "Input_AdvertisingSms"));
        Assert.Equal("", Value(page, "Input_Password"));
        Assert.DoesNotContain(customer.Password, page.Body, StringComparison.Ordinal);
        Assert.Equal("", Value(page, "documents"));
        Assert.Contains(_app.TextIn("kk", "Register.ChooseAgain"), page.Text, StringComparison.Ordinal);
        Assert.Null(await FindAsync(customer.Email));
    }

    // ------------------------------------------------------------------ helpers

    private async Task AssertDocumentRefusedAsync(Upload upload, DocumentRejection rejection)
    {
        var customer = Journeys.Someone();
        var filesBefore = StoredFiles();
        var page = await RegisterAsync(customer, [upload]);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/account/register", page.Url.AbsolutePath);
        Assert.Equal(_app.TextIn("kk", "Documents.Rejected." + rejection, DocumentFileName.Clean(upload.FileName), 10), page.ErrorText("documents-error"));
        Assert.Equal("true", page.Document.GetElementById("documents")!.GetAttribute("aria-invalid"));
        Assert.Null(await FindAsync(customer.Email));
        Assert.Equal(filesBefore, StoredFiles());
    }

    private async Task<WebPage> RegisterAsync(NewCustomer customer, IEnumerable<Upload>? documents = null)
    {
        using var browser = _app.NewBrowser();
        return await Journeys.RegisterAsync(browser, customer, documents);
    }

    private async Task<Derbes.Web.Customers.Account?> FindAsync(string email)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AccountDirectory>().FindByEmailAsync(email, CancellationToken.None);
    }

    private int StoredFiles()
    {
        var folder = Path.Combine(_app.DataDirectory, "documents");
        return Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count() : 0;
    }

    private static string Value(WebPage page, string id) =>
        ((IHtmlInputElement)page.Document.GetElementById(id)!).Value;

    private static bool Checked(WebPage page, string id) =>
        ((IHtmlInputElement)page.Document.GetElementById(id)!).IsChecked;
}

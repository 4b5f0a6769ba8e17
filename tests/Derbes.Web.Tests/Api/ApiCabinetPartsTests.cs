using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Derbes.Tests.Documents;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Documents;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Api;

/// <summary>
/// The cabinet's parts through the app (issue 6): profile, documents, password and sign-ins, requests, my data and
/// closing, each through the page's own service, bearer only, problem+json errors, another customer's ids 404.
/// </summary>
public sealed class ApiCabinetPartsTests(ApiCabinetPartsTests.App app) : IClassFixture<ApiCabinetPartsTests.App>
{
    public sealed class App : DerbesApp;

    private const string Me = "/api/v1/me";
    private readonly App _app = app;

    private async Task<(NewCustomer Customer, Guid Id, ApiClient Api, AppTokenPair Pair)> CustomerAsync()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        var api = ApiClient.For(_app);
        return (customer, await _app.AccountIdAsync(customer.Email), api, await api.TokensAsync(customer.Email, customer.Password));
    }

    private static async Task<ApiAnswer> MultipartAsync(ApiClient api, HttpMethod method, string url, string token, IEnumerable<(string Field, string Name, byte[] Bytes, string Type)> files, IDictionary<string, string>? fields = null)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            content.Add(new StringContent(value), name);
        }
        foreach (var (field, name, bytes, type) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            content.Add(part, field, name);
        }
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await api.Client.SendAsync(request);
        return new ApiAnswer(response, await response.Content.ReadAsStringAsync());
    }

    private static (string, string, byte[], string) Pdf(string name = "passport.pdf") => ("documents", name, SampleFiles.MinimalPdf(), "application/pdf");

    private Task<List<string>> AuditAsync(Guid id, string action) =>
        _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Subject == id.ToString() && e.Action == action).OrderBy(e => e.Id).Select(e => e.Outcome).ToListAsync());

    private Task<Derbes.Web.Customers.Account> AccountAsync(Guid id) => _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.Id == id));

    [Fact]
    public async Task TheProfileShowsMaskedContactsAndChangesNamesAndLanguageButNotTenThousandCharacters()
    {
        var (customer, id, api, pair) = await CustomerAsync();
        using var client = api;

        var profile = await api.GetAsync(Me + "/profile", pair.Access);
        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal(customer.FirstName, profile.Json.GetProperty("firstName").GetString());
        Assert.Equal(Masking.Email(customer.Email), profile.Json.GetProperty("email").GetString());
        Assert.DoesNotContain(customer.Email, profile.Body, StringComparison.Ordinal);
        Assert.Equal(["profile (api)"], (await AuditAsync(id, "cabinet.viewed")).Where(o => o.StartsWith("profile", StringComparison.Ordinal)));

        var renamed = await api.SendAsync(HttpMethod.Patch, Me + "/profile", new { firstName = "Әлия", preferredLanguage = "ru" }, pair.Access);
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("Әлия", renamed.Json.GetProperty("firstName").GetString());
        Assert.Equal(customer.LastName, renamed.Json.GetProperty("lastName").GetString());
        Assert.Equal("ru", renamed.Json.GetProperty("preferredLanguage").GetString());
        Assert.Equal(["first-name"], await AuditAsync(id, "profile.names-changed"));
        Assert.Equal(["kk->ru"], await AuditAsync(id, "profile.language-changed"));
        Assert.Equal("ru", (await AccountAsync(id)).PreferredLanguage);

        var tooLong = await api.SendAsync(HttpMethod.Patch, Me + "/profile", new { lastName = new string('Ж', 10_000), preferredLanguage = "de" }, pair.Access, language: "en");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.Status);
        Assert.Equal("urn:derbes:problem:validation", tooLong.ProblemType);
        Assert.Equal(_app.TextIn("en", "Validation.TooLong"), tooLong.Json.GetProperty("errors").GetProperty("lastName")[0].GetString());
        Assert.True(tooLong.Json.GetProperty("errors").TryGetProperty("preferredLanguage", out _));
        Assert.Equal(["first-name"], await AuditAsync(id, "profile.names-changed"));
        Assert.Equal(customer.LastName, (await api.GetAsync(Me + "/profile", pair.Access)).Json.GetProperty("lastName").GetString());
    }

    [Fact]
    public async Task AnEmailChangeNeedsThePasswordAndATakenAddressGetsTheSameAnswerAsAFreeOne()
    {
        var (customer, id, api, pair) = await CustomerAsync();
        using var client = api;
        using var browser = _app.NewBrowser();
        var holder = await Journeys.RegisteredAndConfirmedAsync(_app, browser);

        var wrong = await api.SendAsync(HttpMethod.Post, Me + "/profile/email", new { password = "not the password", newEmail = "new@example.kz" }, pair.Access);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.Status);
        Assert.Equal("urn:derbes:problem:wrong-password", wrong.ProblemType);
        Assert.Equal(1, (await AccountAsync(id)).AccessFailedCount);
        var missing = await api.SendAsync(HttpMethod.Post, Me + "/profile/email", new { newEmail = "new@example.kz" }, pair.Access);
        Assert.True(missing.Json.GetProperty("errors").TryGetProperty("password", out _));

        var fresh = "fresh-" + Guid.NewGuid().ToString("N")[..8] + "@example.kz";
        var free = await api.SendAsync(HttpMethod.Post, Me + "/profile/email", new { password = customer.Password, newEmail = fresh }, pair.Access);
        var taken = await api.SendAsync(HttpMethod.Post, Me + "/profile/email", new { password = customer.Password, newEmail = holder.Email }, pair.Access);
        Assert.Equal(HttpStatusCode.Accepted, free.Status);
        Assert.Equal(free.Status, taken.Status);
        Assert.Equal(free.Body, taken.Body);
        Assert.Equal(["link-sent", "address-held"], await AuditAsync(id, "profile.email-change-requested"));
        await _app.Mail.WaitForAsync(fresh);
        // Nothing changes until the link is used.
        Assert.Equal(_app.Service<BlindIndex>().Email(customer.Email), (await AccountAsync(id)).EmailIndex);
        Assert.Equal("urn:derbes:problem:same-as-current", (await api.SendAsync(HttpMethod.Post, Me + "/profile/email", new { password = customer.Password, newEmail = customer.Email }, pair.Access)).ProblemType);
    }

    [Fact]
    public async Task APhoneChangeIsConfirmedByTheSmsCodeAndAWrongCodeChangesNothing()
    {
        var (customer, id, api, pair) = await CustomerAsync();
        using var client = api;
        var number = Journeys.Someone();

        var asked = await api.SendAsync(HttpMethod.Post, Me + "/profile/phone", new { password = customer.Password, newPhone = number.PhoneTyped }, pair.Access);
        Assert.Equal(HttpStatusCode.Accepted, asked.Status);
        var code = await _app.Sms.WaitForCodeAsync(number.PhoneE164);
        Assert.NotNull((await api.GetAsync(Me + "/profile", pair.Access)).Json.GetProperty("pendingPhone").GetProperty("expiresAt").GetString());

        var wrongCode = await api.SendAsync(HttpMethod.Post, Me + "/profile/phone/confirm", new { code = code == "000000" ? "111111" : "000000" }, pair.Access);
        Assert.Equal(HttpStatusCode.BadRequest, wrongCode.Status);
        Assert.Equal("urn:derbes:problem:invalid-code", wrongCode.ProblemType);
        Assert.Equal(_app.Service<BlindIndex>().Phone(customer.PhoneE164), (await AccountAsync(id)).PhoneIndex);

        var confirmed = await api.SendAsync(HttpMethod.Post, Me + "/profile/phone/confirm", new { code }, pair.Access);
        Assert.Equal(HttpStatusCode.OK, confirmed.Status);
        Assert.Equal(Masking.Phone(number.PhoneE164), confirmed.Json.GetProperty("phone").GetString());
        Assert.True(confirmed.Json.GetProperty("phoneConfirmed").GetBoolean());
        Assert.Equal(_app.Service<BlindIndex>().Phone(number.PhoneE164), (await AccountAsync(id)).PhoneIndex);
        Assert.Single((await AuditAsync(id, "profile.phone-changed")));

        // A new code right away is refused until the cool-down ends, and says when to try again.
        var soon = await api.SendAsync(HttpMethod.Post, Me + "/profile/phone", new { password = customer.Password, newPhone = Journeys.Someone().PhoneTyped }, pair.Access);
        Assert.Equal(HttpStatusCode.TooManyRequests, soon.Status);
        Assert.Equal("urn:derbes:problem:too-many-requests", soon.ProblemType);
        Assert.NotNull(soon.Response.Headers.RetryAfter);
        Assert.Equal("urn:derbes:problem:validation", (await api.SendAsync(HttpMethod.Post, Me + "/profile/phone", new { password = customer.Password, newPhone = "12345" }, pair.Access)).ProblemType);
    }

    [Fact]
    public async Task DocumentsAreListedOpenedAddedReplacedAndDeletedAndARefusedFileStoresNothing()
    {
        var (_, id, api, pair) = await CustomerAsync();
        using var client = api;

        var list = await api.GetAsync(Me + "/documents", pair.Access);
        Assert.Equal(HttpStatusCode.OK, list.Status);
        var registered = Assert.Single(list.Json.EnumerateArray().ToList());
        Assert.Equal("passport.pdf", registered.GetProperty("fileName").GetString());
        Assert.Equal("awaiting-review", registered.GetProperty("status").GetString());
        var first = registered.GetProperty("id").GetString()!;

        var one = await api.GetAsync($"{Me}/documents/{first}", pair.Access);
        Assert.Equal(HttpStatusCode.OK, one.Status);
        Assert.True(one.Json.GetProperty("canDelete").GetBoolean());
        var file = await api.GetAsync($"{Me}/documents/{first}/file", pair.Access);
        Assert.Equal(HttpStatusCode.OK, file.Status);
        Assert.Equal("application/pdf", file.ContentType);
        Assert.Equal(SampleFiles.MinimalPdf(), await file.Response.Content.ReadAsByteArrayAsync());
        Assert.Equal("attachment", file.Response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("no-store", file.Response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Single(await AuditAsync(id, "document.downloaded"));

        var added = await MultipartAsync(api, HttpMethod.Post, Me + "/documents", pair.Access, [Pdf("back side.pdf")]);
        Assert.Equal(HttpStatusCode.Created, added.Status);
        var second = Assert.Single(added.Json.EnumerateArray().ToList()).GetProperty("id").GetString()!;
        Assert.Equal(2, await _app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == id)));

        var refused = await MultipartAsync(api, HttpMethod.Post, Me + "/documents", pair.Access, [("documents", "notes.pdf", "just text, not a PDF"u8.ToArray(), "application/pdf")]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Equal("urn:derbes:problem:document-rejected", refused.ProblemType);
        Assert.Equal("notes.pdf", refused.Json.GetProperty("files")[0].GetProperty("name").GetString());
        Assert.Equal(2, await _app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == id)));
        Assert.Equal("urn:derbes:problem:validation", (await MultipartAsync(api, HttpMethod.Post, Me + "/documents", pair.Access, [], new Dictionary<string, string> { ["x"] = "y" })).ProblemType);

        var replaced = await MultipartAsync(api, HttpMethod.Put, $"{Me}/documents/{second}/file", pair.Access, [Pdf("back side, better.pdf")]);
        Assert.Equal(HttpStatusCode.OK, replaced.Status);
        var third = replaced.Json.GetProperty("id").GetString()!;
        Assert.NotEqual(second, third);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"{Me}/documents/{second}", pair.Access)).Status);

        // A verified document stays; an unverified one goes, file and all.
        var verified = Guid.Parse(first);
        await _app.WithDbAsync(db => db.Documents.Where(d => d.Id == verified).ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DocumentStatus.Verified)));
        var kept = await api.SendAsync(HttpMethod.Delete, $"{Me}/documents/{first}", token: pair.Access);
        Assert.Equal(HttpStatusCode.Conflict, kept.Status);
        Assert.Equal("urn:derbes:problem:document-verified", kept.ProblemType);
        Assert.Equal("urn:derbes:problem:document-verified", (await MultipartAsync(api, HttpMethod.Put, $"{Me}/documents/{first}/file", pair.Access, [Pdf()])).ProblemType);
        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, $"{Me}/documents/{third}", token: pair.Access)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"{Me}/documents/{third}/file", pair.Access)).Status);
        Assert.Equal([verified], await _app.WithDbAsync(db => db.Documents.Where(d => d.AccountId == id).Select(d => d.Id).ToListAsync()));
        Assert.Single(await AuditAsync(id, "document.deleted"));
    }

    [Fact]
    public async Task APasswordChangeSignsOutEveryOtherSessionAndGivesThisOneANewPair()
    {
        var (customer, id, api, pair) = await CustomerAsync();
        using var client = api;
        var other = await api.TokensAsync(customer.Email, customer.Password);
        using var browser = _app.NewBrowser();
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        var wrong = await api.SendAsync(HttpMethod.Post, Me + "/password", new { currentPassword = "not it", newPassword = "a brand new long phrase 42" }, pair.Access);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.Status);
        Assert.Equal("urn:derbes:problem:wrong-password", wrong.ProblemType);
        Assert.Equal(["wrong-password"], await AuditAsync(id, "password.change-failed"));
        var weak = await api.SendAsync(HttpMethod.Post, Me + "/password", new { currentPassword = customer.Password, newPassword = "short" }, pair.Access);
        Assert.Equal(HttpStatusCode.BadRequest, weak.Status);
        Assert.True(weak.Json.GetProperty("errors").TryGetProperty("newPassword", out _));

        var changed = await api.SendAsync(HttpMethod.Post, Me + "/password", new { currentPassword = customer.Password, newPassword = "a brand new long phrase 42" }, pair.Access);
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        var fresh = ApiClient.Pair(changed);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(Me, fresh.Access)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync(Me, pair.Access)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync(Me, other.Access)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(other.Refresh)).Status);
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal(["other-sessions-ended:2"], await AuditAsync(id, "password.changed"));
        Assert.Equal(HttpStatusCode.OK, (await api.SignInAsync(customer.Email, "a brand new long phrase 42")).Status);
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.PasswordChanged.Subject", "SMALL"));
    }

    [Fact]
    public async Task SignInsListTheAppsAndTheWebsitesSignInsAndFailures()
    {
        var (customer, _, api, pair) = await CustomerAsync();
        using var client = api;
        await api.SignInAsync(customer.Email, "not the password");
        using var browser = _app.NewBrowser();
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        var answer = await api.GetAsync(Me + "/sign-ins", pair.Access);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var events = answer.Json.EnumerateArray().Select(e => (e.GetProperty("event").GetString(), e.GetProperty("failed").GetBoolean(), e.GetProperty("app").GetBoolean())).ToList();
        Assert.Equal([("signed-in", false, false), ("wrong-password", true, true), ("signed-in", false, true)], events);
        // The test server gives no address: the place is honestly unknown, never made up.
        Assert.Equal("unknown", answer.Json[0].GetProperty("place").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task RequestsAreFiledAsJsonOrWithAFileListedAndOpened()
    {
        var (_, id, api, pair) = await CustomerAsync();
        using var client = api;

        var filed = await api.SendAsync(HttpMethod.Post, Me + "/requests", new { kind = "information", text = "Маған қандай деректер бар?" }, pair.Access);
        Assert.Equal(HttpStatusCode.Created, filed.Status);
        var number = filed.Json.GetProperty("number").GetString()!;
        Assert.Equal("information", filed.Json.GetProperty("kind").GetString());
        Assert.Equal($"{Me}/requests/{filed.Json.GetProperty("id").GetInt64()}", filed.Response.Headers.Location?.OriginalString);

        var withFile = await MultipartAsync(api, HttpMethod.Post, Me + "/requests", pair.Access, [("document", "certificate.pdf", SampleFiles.MinimalPdf(), "application/pdf")],
            new Dictionary<string, string> { ["kind"] = "rectification", ["text"] = "Тегімді түзетіңіз." });
        Assert.Equal(HttpStatusCode.Created, withFile.Status);
        var requestId = withFile.Json.GetProperty("id").GetInt64();

        var list = await api.GetAsync(Me + "/requests", pair.Access);
        Assert.Equal(2, list.Json.GetArrayLength());
        Assert.Contains(number, list.Body, StringComparison.Ordinal);
        var detail = await api.GetAsync($"{Me}/requests/{requestId}", pair.Access);
        Assert.Equal("Тегімді түзетіңіз.", detail.Json.GetProperty("text").GetString());
        var file = detail.Json.GetProperty("files")[0];
        Assert.Equal("certificate.pdf", file.GetProperty("name").GetString());
        var bytes = await api.GetAsync($"{Me}/requests/{requestId}/files/{file.GetProperty("id").GetInt64()}", pair.Access);
        Assert.Equal(HttpStatusCode.OK, bytes.Status);
        Assert.Equal(SampleFiles.MinimalPdf(), await bytes.Response.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, (await AuditAsync(id, "request.filed")).Count);
        Assert.Single(await AuditAsync(id, "request.file-opened"));

        // Refused: no such kind, no text, a file with a kind that takes none. Nothing is stored.
        Assert.True((await api.SendAsync(HttpMethod.Post, Me + "/requests", new { kind = "rectify-please", text = "x" }, pair.Access)).Json.GetProperty("errors").TryGetProperty("kind", out _));
        Assert.True((await api.SendAsync(HttpMethod.Post, Me + "/requests", new { kind = "blocking", text = " " }, pair.Access)).Json.GetProperty("errors").TryGetProperty("text", out _));
        var wrongKind = await MultipartAsync(api, HttpMethod.Post, Me + "/requests", pair.Access, [("document", "a.pdf", SampleFiles.MinimalPdf(), "application/pdf")],
            new Dictionary<string, string> { ["kind"] = "blocking", ["text"] = "Бұғаттаңыз." });
        Assert.True(wrongKind.Json.GetProperty("errors").TryGetProperty("document", out _));
        Assert.Equal(2, await _app.WithDbAsync(db => db.CustomerRequests.CountAsync(r => r.AccountId == id)));
    }

    [Fact]
    public async Task EveryIdOfAnotherCustomerIsNotFoundAndNothingOfTheirsChanges()
    {
        var (_, aliceId, aliceApi, alicePair) = await CustomerAsync();
        using var aliceClient = aliceApi;
        var (_, bobId, bobApi, bobPair) = await CustomerAsync();
        using var bobClient = bobApi;
        var document = (await aliceApi.GetAsync(Me + "/documents", alicePair.Access)).Json[0].GetProperty("id").GetString();
        var request = await MultipartAsync(aliceApi, HttpMethod.Post, Me + "/requests", alicePair.Access, [("document", "proof.pdf", SampleFiles.MinimalPdf(), "application/pdf")],
            new Dictionary<string, string> { ["kind"] = "rectification", ["text"] = "Түзетіңіз." });
        var requestId = request.Json.GetProperty("id").GetInt64();
        var fileId = (await aliceApi.GetAsync($"{Me}/requests/{requestId}", alicePair.Access)).Json.GetProperty("files")[0].GetProperty("id").GetInt64();
        var session = (await aliceApi.GetAsync(Me + "/sessions", alicePair.Access)).Json[0].GetProperty("id").GetString();
        var auditBefore = await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == aliceId.ToString()));

        var answers = new List<(string What, ApiAnswer Answer)>
        {
            ("document", await bobApi.GetAsync($"{Me}/documents/{document}", bobPair.Access)),
            ("document file", await bobApi.GetAsync($"{Me}/documents/{document}/file", bobPair.Access)),
            ("replace document", await MultipartAsync(bobApi, HttpMethod.Put, $"{Me}/documents/{document}/file", bobPair.Access, [Pdf()])),
            ("delete document", await bobApi.SendAsync(HttpMethod.Delete, $"{Me}/documents/{document}", token: bobPair.Access)),
            ("request", await bobApi.GetAsync($"{Me}/requests/{requestId}", bobPair.Access)),
            ("request file", await bobApi.GetAsync($"{Me}/requests/{requestId}/files/{fileId}", bobPair.Access)),
            ("reply to request", await bobApi.SendAsync(HttpMethod.Post, $"{Me}/requests/{requestId}/reply", new { text = "Бөтен өтінішке жауап" }, bobPair.Access)),
            ("end session", await bobApi.SendAsync(HttpMethod.Delete, $"{Me}/sessions/{session}", token: bobPair.Access)),
        };
        foreach (var (what, answer) in answers)
        {
            Assert.True(answer.Status == HttpStatusCode.NotFound, what + ": " + answer.Status);
            Assert.Equal("urn:derbes:problem:not-found", answer.ProblemType);
        }

        // Alice's document, request and session are as they were; nothing was recorded about her; Bob still works.
        Assert.Equal(HttpStatusCode.OK, (await aliceApi.GetAsync($"{Me}/documents/{document}/file", alicePair.Access)).Status);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == aliceId)));
        Assert.Equal(HttpStatusCode.OK, (await aliceApi.GetAsync($"{Me}/requests/{requestId}/files/{fileId}", alicePair.Access)).Status);
        Assert.Equal(HttpStatusCode.OK, (await aliceApi.GetAsync(Me, alicePair.Access)).Status);
        Assert.Equal(auditBefore + 3, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == aliceId.ToString())));
        // Bob's replacement file went nowhere: he still has only the document of his registration.
        Assert.Equal(1, await _app.WithDbAsync(db => db.Documents.CountAsync(d => d.AccountId == bobId)));
    }

    [Fact]
    public async Task MyDataIsTheCabinetsJsonExportAndIsAuditedAsApi()
    {
        var (customer, id, api, pair) = await CustomerAsync();
        using var client = api;
        using var browser = _app.NewBrowser();
        await Journeys.SignInAsync(browser, customer.Email, customer.Password);

        var data = await api.GetAsync(Me + "/data", pair.Access);
        Assert.Equal(HttpStatusCode.OK, data.Status);
        Assert.Equal("application/json", data.ContentType);
        Assert.Contains("no-store", data.Response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        using var web = JsonDocument.Parse(await browser.Client.GetStringAsync("/cabinet/my-data?handler=json"));
        Assert.Equal(web.RootElement.GetProperty("profile").GetRawText(), data.Json.GetProperty("profile").GetRawText());
        Assert.Equal(customer.Email, data.Json.GetProperty("profile").GetProperty("email").GetString());
        Assert.Equal(web.RootElement.GetProperty("documents").GetRawText(), data.Json.GetProperty("documents").GetRawText());
        Assert.Equal(web.RootElement.GetProperty("consents").GetRawText(), data.Json.GetProperty("consents").GetRawText());
        Assert.Equal(["api", "json"], await AuditAsync(id, "customer.exported"));
    }

    [Fact]
    public async Task ClosingNeedsThePasswordStopsTheTokenAtOnceAndCannotBeRepeated()
    {
        var (customer, id, api, pair) = await CustomerAsync();
        using var client = api;

        var wrong = await api.SendAsync(HttpMethod.Post, Me + "/close", new { password = "not the password" }, pair.Access);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.Status);
        Assert.Equal("urn:derbes:problem:wrong-password", wrong.ProblemType);
        Assert.Equal(AccountStatus.Active, (await AccountAsync(id)).Status);
        Assert.Equal(["wrong-password"], await AuditAsync(id, "customer.close-refused"));

        var closed = await api.SendAsync(HttpMethod.Post, Me + "/close", new { password = customer.Password }, pair.Access);
        Assert.Equal(HttpStatusCode.OK, closed.Status);
        Assert.Equal("closing", closed.Json.GetProperty("status").GetString());
        var day = DateOnly.FromDateTime((_app.Clock.GetUtcNow() + TimeSpan.FromDays(14)).ToOffset(TimeSpan.FromHours(5)).DateTime);
        Assert.Equal(day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), closed.Json.GetProperty("destructionOn").GetString());
        var account = await AccountAsync(id);
        Assert.Equal(AccountStatus.Closing, account.Status);
        var withdrawal = await _app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal((ConsentPurpose.Processing, false, ConsentChannel.Api), (withdrawal.Purpose, withdrawal.Granted, withdrawal.Channel));
        Assert.Single(await AuditAsync(id, "customer.closing"));

        // The token of the closing call stops at once; a second closing is refused and changes nothing.
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync(Me, pair.Access)).Status);
        var again = await api.SendAsync(HttpMethod.Post, Me + "/close", new { password = customer.Password }, pair.Access);
        Assert.Equal(HttpStatusCode.Unauthorized, again.Status);
        Assert.Equal("urn:derbes:problem:invalid-token", again.ProblemType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(pair.Refresh)).Status);
        Assert.Equal("urn:derbes:problem:account-closing", (await api.SignInAsync(customer.Email, customer.Password)).ProblemType);
        Assert.Single(await AuditAsync(id, "customer.closing"));
        Assert.Equal(account.ClosingSince, (await AccountAsync(id)).ClosingSince);
    }

    [Fact]
    public async Task ARecoveryCodeIsTheAppsOtherSecondFactorAndWorksOnce()
    {
        var (customer, id, api, _) = await CustomerAsync();
        using var __ = api;
        string[] codes;
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Derbes.Web.Data.DerbesDb>();
            db.UserTokens.AddRange(StaffAuthenticator.Enrol(scope.ServiceProvider.GetRequiredService<PersonalDataVault>(), id, StaffAuthenticator.NewKey(), _app.Clock.GetUtcNow().ToUnixTimeSeconds() / 30));
            codes = await scope.ServiceProvider.GetRequiredService<RecoveryCodes>().ReplaceAsync(id, CancellationToken.None);
            await db.SaveChangesAsync();
            await db.Users.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.TwoFactorEnabled, true));
        }

        var wrong = await api.SignInAsync(customer.Email, customer.Password, "abcde-fghjk");
        Assert.Equal("urn:derbes:problem:invalid-two-factor-code", wrong.ProblemType);
        Assert.Equal(1, (await AccountAsync(id)).AccessFailedCount);

        var signedIn = await api.SignInAsync(customer.Email, customer.Password, codes[3].ToUpperInvariant());
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(Me, ApiClient.Pair(signedIn).Access)).Status);
        Assert.Equal(0, (await AccountAsync(id)).AccessFailedCount);
        Assert.Equal(9, await _app.Service<IServiceScopeFactory>().CreateScope().ServiceProvider.GetRequiredService<RecoveryCodes>().RemainingAsync(id, CancellationToken.None));
        Assert.Equal(["recovery-code (api)"], await AuditAsync(id, "signin.succeeded").ContinueWith(t => t.Result.Where(o => o != "ok (api)").ToList()));
        Assert.Equal(["left:9 (api)"], await AuditAsync(id, "2fa.recovery-code-used"));
        Assert.Equal(["wrong-recovery-code (api)"], await AuditAsync(id, "signin.failed"));
        await _app.Mail.WaitForAsync(customer.Email, _app.Text("Email.RecoveryCodeUsed.Subject", "SMALL"));

        // Spent: the same code again is refused.
        Assert.Equal("urn:derbes:problem:invalid-two-factor-code", (await api.SignInAsync(customer.Email, customer.Password, codes[3])).ProblemType);
        var history = (await api.GetAsync(Me + "/sign-ins", ApiClient.Pair(signedIn).Access)).Json.EnumerateArray().Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Contains("signed-in-with-recovery-code", history);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesEveryCabinetPartWithItsProblems()
    {
        using var api = ApiClient.For(_app);
        var paths = (await api.GetAsync("/openapi/v1.json", token: null)).Json.GetProperty("paths");
        var expected = new Dictionary<string, string[]>
        {
            ["/api/v1/me/profile"] = ["get", "patch"],
            ["/api/v1/me/profile/email"] = ["post"],
            ["/api/v1/me/profile/phone"] = ["post"],
            ["/api/v1/me/profile/phone/confirm"] = ["post"],
            ["/api/v1/me/documents"] = ["get", "post"],
            ["/api/v1/me/documents/{id}"] = ["get", "delete"],
            ["/api/v1/me/documents/{id}/file"] = ["get", "put"],
            ["/api/v1/me/password"] = ["post"],
            ["/api/v1/me/sign-ins"] = ["get"],
            ["/api/v1/me/requests"] = ["get", "post"],
            ["/api/v1/me/requests/{id}"] = ["get"],
            ["/api/v1/me/requests/{id}/files/{fileId}"] = ["get"],
            ["/api/v1/me/requests/{id}/reply"] = ["post"],
            ["/api/v1/me/data"] = ["get"],
            ["/api/v1/me/close"] = ["post"],
        };
        foreach (var (path, methods) in expected)
        {
            foreach (var method in methods)
            {
                Assert.True(paths.TryGetProperty(path, out var item), path);
                Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path}");
                var responses = operation.GetProperty("responses");
                Assert.True(operation.GetProperty("security")[0].TryGetProperty("Bearer", out _), $"{method} {path} security");
                Assert.True(responses.GetProperty("401").GetProperty("content").TryGetProperty("application/problem+json", out _), $"{method} {path} 401");
            }
        }
        foreach (var withId in new[] { "/api/v1/me/documents/{id}", "/api/v1/me/documents/{id}/file", "/api/v1/me/requests/{id}", "/api/v1/me/requests/{id}/files/{fileId}" })
        {
            Assert.True(paths.GetProperty(withId).GetProperty("get").GetProperty("responses").TryGetProperty("404", out _), withId);
        }
        Assert.True(paths.GetProperty("/api/v1/me/documents").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        var filing = paths.GetProperty("/api/v1/me/requests").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(filing.TryGetProperty("application/json", out _) && filing.TryGetProperty("multipart/form-data", out _));
        Assert.True(paths.GetProperty("/api/v1/me/profile").GetProperty("patch").GetProperty("responses").TryGetProperty("400", out _));
        Assert.True(paths.GetProperty("/api/v1/me/close").GetProperty("post").GetProperty("responses").TryGetProperty("200", out _));
    }
}

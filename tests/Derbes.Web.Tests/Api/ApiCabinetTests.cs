using System.Net;
using System.Text.Json;
using Derbes.Web.Consents;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Derbes.Web.Tests.Api;

/// <summary>
/// The cabinet through the app (issue 6): sessions shared with the website both ways, cookies refused under /api,
/// another customer's ids not found, the consent switches as ledger records with channel Api, and the OpenAPI document.
/// </summary>
public sealed class ApiCabinetTests : IClassFixture<ApiCabinetTests.App>
{
    public sealed class App : DerbesApp;

    private readonly App _app;

    public ApiCabinetTests(App app) => _app = app;

    private async Task<(NewCustomer Customer, Guid Id, Browser Browser)> SignedInOnTheWebAsync()
    {
        var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        var index = _app.Service<BlindIndex>().Email(customer.Email);
        var id = await _app.WithDbAsync(db => db.Users.Where(a => a.EmailIndex == index).Select(a => a.Id).SingleAsync());
        return (customer, id, browser);
    }

    [Fact]
    public async Task SigningOutEverywhereInTheCabinetStopsTheAppAtItsNextCall()
    {
        var (customer, _, browser) = await SignedInOnTheWebAsync();
        using var _ = browser;
        using var api = ApiClient.For(_app);
        var pair = await api.TokensAsync(customer.Email, customer.Password);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", pair.Access)).Status);

        var cabinet = await browser.GetAsync("/cabinet");
        await browser.SubmitAsync(cabinet, formSelector: "main form[action='/account/logout?handler=everywhere']");

        var stopped = await api.GetAsync("/api/v1/me", pair.Access);
        Assert.Equal(HttpStatusCode.Unauthorized, stopped.Status);
        Assert.Equal("urn:derbes:problem:invalid-token", stopped.ProblemType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(pair.Refresh)).Status);
    }

    [Fact]
    public async Task TheAppAndTheBrowserSeeEachOtherInTheSessionListAndEndEachOther()
    {
        var (customer, id, browser) = await SignedInOnTheWebAsync();
        using var _ = browser;
        using var api = ApiClient.For(_app);
        var pair = await api.TokensAsync(customer.Email, customer.Password);

        var list = await api.GetAsync("/api/v1/me/sessions", pair.Access);
        Assert.Equal(HttpStatusCode.OK, list.Status);
        var sessions = list.Json.EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        var app = Assert.Single(sessions, s => s.GetProperty("app").GetBoolean());
        Assert.True(app.GetProperty("current").GetBoolean());
        Assert.Equal("SMALL-app/3.1 (Android 14)", app.GetProperty("device").GetString());
        var web = Assert.Single(sessions, s => !s.GetProperty("app").GetBoolean());
        Assert.False(web.GetProperty("current").GetBoolean());
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "cabinet.viewed" && e.Outcome == "sessions (api)" && e.Subject == id.ToString())));

        // The app ends the browser's session: the cabinet asks the browser to sign in again.
        var ended = await api.SendAsync(HttpMethod.Delete, "/api/v1/me/sessions/" + web.GetProperty("id").GetString(), token: pair.Access);
        Assert.Equal(HttpStatusCode.NoContent, ended.Status);
        Assert.Equal("/account/login", (await browser.GetAsync("/cabinet")).Url.AbsolutePath);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "session.ended" && e.Subject == id.ToString())));

        // The session row is what the cabinet ends too: once it is ended, the app's tokens stop at the next call.
        var second = await api.TokensAsync(customer.Email, customer.Password);
        var appSession = Guid.Parse(app.GetProperty("id").GetString()!);
        await _app.WithDbAsync(db => db.Sessions.Where(s => s.Id == appSession).ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, _app.Clock.GetUtcNow())));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", pair.Access)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(pair.Refresh)).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", second.Access)).Status);
    }

    [Fact]
    public async Task ASessionCookieOpensNothingUnderTheApi()
    {
        var (_, _, browser) = await SignedInOnTheWebAsync();
        using var _ = browser;
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/cabinet")).Status);

        // The browser holds a valid session cookie and sends it; the API answers as to nobody, never with a redirect.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        var response = await browser.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        using var consent = new HttpRequestMessage(HttpMethod.Put, "/api/v1/me/consents/advertising-email") { Content = System.Net.Http.Json.JsonContent.Create(new { agree = true }) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Client.SendAsync(consent)).StatusCode);
    }

    [Fact]
    public async Task AnotherCustomersSessionIdIsNotFoundAndTheirSessionGoesOn()
    {
        var (alice, _, aliceBrowser) = await SignedInOnTheWebAsync();
        aliceBrowser.Dispose();
        var (bob, _, bobBrowser) = await SignedInOnTheWebAsync();
        using var _ = bobBrowser;
        using var api = ApiClient.For(_app);
        var alicePair = await api.TokensAsync(alice.Email, alice.Password);
        var bobPair = await api.TokensAsync(bob.Email, bob.Password);
        var bobSessions = (await api.GetAsync("/api/v1/me/sessions", bobPair.Access)).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        Assert.Equal(2, bobSessions.Count);

        foreach (var bobSession in bobSessions)
        {
            var refused = await api.SendAsync(HttpMethod.Delete, "/api/v1/me/sessions/" + bobSession, token: alicePair.Access);
            Assert.Equal(HttpStatusCode.NotFound, refused.Status);
            Assert.Equal("urn:derbes:problem:not-found", refused.ProblemType);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Delete, "/api/v1/me/sessions/" + Guid.NewGuid(), token: alicePair.Access)).Status);
        Assert.Equal("urn:derbes:problem:not-found", (await api.SendAsync(HttpMethod.Delete, "/api/v1/me/sessions/not-a-guid", token: alicePair.Access)).ProblemType);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", bobPair.Access)).Status);
        Assert.Equal("/cabinet", (await bobBrowser.GetAsync("/cabinet")).Url.AbsolutePath);
    }

    [Fact]
    public async Task AConsentSwitchedInTheAppIsALedgerRecordWithChannelApiAndTheWordsTheAppShowed()
    {
        var (customer, id, browser) = await SignedInOnTheWebAsync();
        using var web = browser;
        using var api = ApiClient.For(_app);
        var pair = await api.TokensAsync(customer.Email, customer.Password);

        var before = await api.GetAsync("/api/v1/me/consents", pair.Access, language: "ru");
        Assert.Equal(HttpStatusCode.OK, before.Status);
        var consents = before.Json.GetProperty("consents").EnumerateArray().ToList();
        Assert.Equal(["advertising-email", "advertising-sms", "third-party-transfer"], consents.Select(c => c.GetProperty("purpose").GetString()));
        Assert.All(consents, c => Assert.False(c.GetProperty("agrees").GetBoolean()));
        var words = consents[0].GetProperty("text").GetString()!;
        Assert.Equal(_app.TextIn("ru", "Register.AdvertisingEmail", 1), words);

        var switched = await api.SendAsync(HttpMethod.Put, "/api/v1/me/consents/advertising-email", new { agree = true }, pair.Access, language: "ru");
        Assert.Equal(HttpStatusCode.OK, switched.Status);
        Assert.True(switched.Json.GetProperty("agrees").GetBoolean());
        var record = await _app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.Equal(ConsentPurpose.AdvertisingEmail, record.Purpose);
        Assert.True(record.Granted);
        Assert.Equal(ConsentChannel.Api, record.Channel);
        Assert.Equal("ru", record.Language);
        Assert.Equal(SecretToken.Hash(words), record.TextSha256);
        Assert.Equal("SMALL-app/3.1 (Android 14)", record.UserAgent);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.changed" && e.Subject == id.ToString() && e.Outcome == "AdvertisingEmail:granted")));

        // The same position again records nothing; the cabinet shows the decision as made through an app.
        var count = await _app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id));
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Put, "/api/v1/me/consents/advertising-email", new { agree = true }, pair.Access)).Status);
        Assert.Equal(count, await _app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id)));
        var page = await browser.GetAsync("/cabinet/consents");
        Assert.Contains(_app.Text("MyConsents.Channel.Api"), page.Document.QuerySelector("ol.ledger")!.TextContent, StringComparison.Ordinal);

        // Processing is not a switch (it is withdrawn by closing the account), numbers are not names, and the body is required.
        Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Put, "/api/v1/me/consents/processing", new { agree = false }, pair.Access)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Put, "/api/v1/me/consents/2", new { agree = false }, pair.Access)).Status);
        var noBody = await api.SendAsync(HttpMethod.Put, "/api/v1/me/consents/advertising-sms", new { }, pair.Access);
        Assert.Equal(HttpStatusCode.BadRequest, noBody.Status);
        Assert.True(noBody.Json.GetProperty("errors").TryGetProperty("agree", out _));
        Assert.Equal(count, await _app.WithDbAsync(db => db.ConsentRecords.CountAsync(c => c.AccountId == id)));

        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Put, "/api/v1/me/consents/advertising-email", new { agree = false }, pair.Access)).Status);
        var withdrawn = await _app.WithDbAsync(db => db.ConsentRecords.AsNoTracking().Where(c => c.AccountId == id).OrderBy(c => c.Id).LastAsync());
        Assert.False(withdrawn.Granted);
        Assert.Equal(ConsentChannel.Api, withdrawn.Channel);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesEveryPathTheBearerSchemeAndProblemResponses()
    {
        using var api = ApiClient.For(_app);
        var answer = await api.GetAsync("/openapi/v1.json", token: null);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var document = answer.Json;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);

        var paths = document.GetProperty("paths");
        var expected = new Dictionary<string, string[]>
        {
            ["/api/v1/auth/token"] = ["post"],
            ["/api/v1/auth/refresh"] = ["post"],
            ["/api/v1/auth/revoke"] = ["post"],
            ["/api/v1/me"] = ["get"],
            ["/api/v1/me/consents"] = ["get"],
            ["/api/v1/me/consents/{purpose}"] = ["put"],
            ["/api/v1/me/sessions"] = ["get"],
            ["/api/v1/me/sessions/{id}"] = ["delete"],
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
        Assert.Equal(expected.Keys.Order(), paths.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (path, methods) in expected)
        {
            foreach (var method in methods)
            {
                Assert.True(paths.GetProperty(path).TryGetProperty(method, out _), $"{method} {path}");
            }
        }

        var bearer = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        // The cabinet's operations need the token; signing in does not.
        Assert.True(paths.GetProperty("/api/v1/me").GetProperty("get").GetProperty("security")[0].TryGetProperty("Bearer", out _));
        Assert.False(paths.GetProperty("/api/v1/auth/token").GetProperty("post").TryGetProperty("security", out _));
        var unauthorized = paths.GetProperty("/api/v1/auth/token").GetProperty("post").GetProperty("responses").GetProperty("401");
        Assert.True(unauthorized.GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(paths.GetProperty("/api/v1/me/sessions/{id}").GetProperty("delete").GetProperty("responses").TryGetProperty("404", out _));
        Assert.Contains("\"advertising-email\"", JsonSerializer.Serialize(document.GetProperty("components")), StringComparison.Ordinal);
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using CustomerAccount = Derbes.Web.Customers.Account;

namespace Derbes.Web.Tests.Api;

/// <summary>
/// The app's sign-in (issue 6): tokens issued and used, the web sign-in's rules and lockout shared, refresh tokens
/// rotated with reuse ending the session, sign-out, staff refused, the authenticator code, the per-IP limit, and
/// every error as problem+json.
/// </summary>
public sealed class ApiSignInTests : IClassFixture<ApiSignInTests.App>
{
    public sealed class App : DerbesApp;

    private const string WrongPassword = "мүлдем басқа құпия сөз 42";

    private readonly App _app;

    public ApiSignInTests(App app) => _app = app;

    private async Task<(NewCustomer Customer, CustomerAccount Account)> CustomerAsync()
    {
        using var browser = _app.NewBrowser();
        var customer = await Journeys.RegisteredAndConfirmedAsync(_app, browser);
        return (customer, await AccountAsync(customer.Email));
    }

    private Task<CustomerAccount> AccountAsync(string email)
    {
        var index = _app.Service<BlindIndex>().Email(email);
        return _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(a => a.EmailIndex == index));
    }

    [Fact]
    public async Task ACustomerSignsInByEmailOrCustomerNumberAndTheAccessTokenOpensTheirOverview()
    {
        var (customer, account) = await CustomerAsync();
        using var api = ApiClient.For(_app);

        var signedIn = await api.SignInAsync(customer.Email, customer.Password);
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        Assert.Equal("no-store", signedIn.Response.Headers.CacheControl?.ToString());
        var pair = ApiClient.Pair(signedIn);
        Assert.Equal(600, pair.ExpiresIn);
        Assert.Equal(30 * 24 * 3600, pair.RefreshExpiresIn);

        var me = await api.GetAsync("/api/v1/me", pair.Access);
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(account.UserName, me.Json.GetProperty("customerNumber").GetString());
        Assert.Equal(customer.FirstName, me.Json.GetProperty("firstName").GetString());
        Assert.Equal(customer.LastName, me.Json.GetProperty("lastName").GetString());
        Assert.Equal(Derbes.Web.Customers.Masking.Email(customer.Email), me.Json.GetProperty("email").GetString());
        Assert.DoesNotContain(customer.Email, me.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("active", me.Json.GetProperty("status").GetString());
        Assert.Equal("none", me.Json.GetProperty("policyUpdate").GetString());
        Assert.Equal("awaiting-review", me.Json.GetProperty("documents")[0].GetProperty("status").GetString());

        // The customer number signs in too, to a session of its own.
        var byNumber = await api.TokensAsync(account.UserName!, customer.Password);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", byNumber.Access)).Status);

        // On the record: the sign-ins marked as the app's, the read of personal data, and the sessions the app opened.
        var subject = account.Id.ToString();
        var entries = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Subject == subject).ToListAsync());
        Assert.Equal(2, entries.Count(e => e.Action == "signin.succeeded" && e.Outcome == "ok (api)" && e.Actor == subject && e.Role == "customer"));
        Assert.Equal(2, entries.Count(e => e.Action == "cabinet.viewed" && e.Outcome == "overview (api)"));
        var sessions = await _app.WithDbAsync(db => db.Sessions.AsNoTracking().Where(s => s.AccountId == account.Id && s.UserAgent == "SMALL-app/3.1 (Android 14)").CountAsync());
        Assert.Equal(2, sessions);

        // Only hashes of the tokens are kept: the database alone opens nothing.
        var raw = await _app.RawDatabaseAsync();
        foreach (var token in new[] { pair.Access, pair.Refresh, byNumber.Access, byNumber.Refresh })
        {
            Assert.True(raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token)) < 0, "a token is stored in the clear");
        }
        Assert.Equal(1, await _app.WithDbAsync(db => db.AppTokens.CountAsync(t => t.TokenHash == SecretToken.Hash(pair.Access))));
    }

    [Fact]
    public async Task AWrongPasswordIsA401ProblemAndFailuresOnTheWebAndInTheAppLockTheAccountTogether()
    {
        var (customer, account) = await CustomerAsync();
        using var api = ApiClient.For(_app);
        using var browser = _app.NewBrowser();

        var wrong = await api.SignInAsync(customer.Email, WrongPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("urn:derbes:problem:invalid-credentials", wrong.ProblemType);
        Assert.Equal(401, wrong.Json.GetProperty("status").GetInt32());
        Assert.Equal(_app.Text("Login.Failed"), wrong.Json.GetProperty("detail").GetString());
        Assert.Contains("Bearer", wrong.Response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", wrong.Body, StringComparison.Ordinal);
        var unknown = await api.SignInAsync("nobody." + Guid.NewGuid().ToString("N") + "@example.kz", WrongPassword);
        Assert.Equal(Problem(wrong), Problem(unknown));

        // Two more here, two on the website: the fifth failure, wherever it happens, locks.
        await api.SignInAsync(customer.Email, WrongPassword);
        await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        await Journeys.SignInAsync(browser, customer.Email, WrongPassword);
        Assert.Equal(4, (await AccountAsync(customer.Email)).AccessFailedCount);
        await api.SignInAsync(customer.Email, WrongPassword);
        var locked = await AccountAsync(customer.Email);
        Assert.Equal(_app.Clock.GetUtcNow().AddMinutes(15), locked.LockoutEnd);

        // The right password is now refused in both places, the app's answer the same as for a wrong one.
        var refused = await api.SignInAsync(customer.Email, customer.Password);
        Assert.Equal(Problem(wrong), Problem(refused));
        Assert.NotEqual("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);

        var subject = account.Id.ToString();
        var outcomes = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Subject == subject && e.Action == "signin.failed").OrderBy(e => e.Id).Select(e => e.Outcome).ToListAsync());
        Assert.Equal(["wrong-password (api)", "wrong-password (api)", "wrong-password", "wrong-password", "locked-out (api)", "locked (api)", "locked"], outcomes);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Subject == subject && e.Action == "account.locked" && e.Outcome == "00:15:00 (api)")));

        // After the lock, the right password opens the app again and clears the count.
        _app.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await api.SignInAsync(customer.Email, customer.Password)).Status);
        Assert.Equal(0, (await AccountAsync(customer.Email)).AccessFailedCount);
    }

    [Fact]
    public async Task RefreshRotatesThePairAndASpentRefreshTokenUsedAgainEndsTheWholeSession()
    {
        var (customer, account) = await CustomerAsync();
        using var api = ApiClient.For(_app);
        var first = await api.TokensAsync(customer.Email, customer.Password);

        var refreshed = await api.RefreshAsync(first.Refresh);
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        var second = ApiClient.Pair(refreshed);
        Assert.NotEqual(first.Access, second.Access);
        Assert.NotEqual(first.Refresh, second.Refresh);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", second.Access)).Status);
        var third = ApiClient.Pair(await api.RefreshAsync(second.Refresh));

        // The first refresh token again: a copy is in other hands. The session ends, with every token of it.
        var replayed = await api.RefreshAsync(first.Refresh);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.Status);
        Assert.Equal("urn:derbes:problem:invalid-refresh-token", replayed.ProblemType);
        var afterwards = await api.GetAsync("/api/v1/me", third.Access);
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.Status);
        Assert.Equal("urn:derbes:problem:invalid-token", afterwards.ProblemType);
        Assert.Contains("invalid_token", afterwards.Response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(third.Refresh)).Status);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "api.refresh-reused" && e.Subject == account.Id.ToString())));
        Assert.Equal(0, await _app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == account.Id && s.EndedAt == null)));

        // Nonsense is refused the same way, and a missing token names the field.
        Assert.Equal("urn:derbes:problem:invalid-refresh-token", (await api.RefreshAsync("drt_" + new string('x', 43))).ProblemType);
        var missing = await api.SendAsync(HttpMethod.Post, "/api/v1/auth/refresh", new { });
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal("urn:derbes:problem:validation", missing.ProblemType);
        Assert.True(missing.Json.GetProperty("errors").TryGetProperty("refreshToken", out _));
    }

    [Fact]
    public async Task AccessTokensExpireAfterTenMinutesAndSigningOutEndsTheSessionEvenWithOnlyTheRefreshToken()
    {
        var (customer, account) = await CustomerAsync();
        using var api = ApiClient.For(_app);
        var pair = await api.TokensAsync(customer.Email, customer.Password);

        _app.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", pair.Access)).Status);
        // The expired access token no longer names the session; the refresh token still does, and signs it out.
        var revoked = await api.SendAsync(HttpMethod.Post, "/api/v1/auth/revoke", new { refreshToken = pair.Refresh });
        Assert.Equal(HttpStatusCode.NoContent, revoked.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(pair.Refresh)).Status);

        // Signing out with a live access token ends its session at once. (Signing in clears the expired tokens.)
        var other = await api.TokensAsync(customer.Email, customer.Password);
        Assert.Equal(0, await _app.WithDbAsync(db => db.AppTokens.CountAsync(t => t.TokenHash == SecretToken.Hash(pair.Access))));
        var signedOut = await api.SendAsync(HttpMethod.Post, "/api/v1/auth/revoke", token: other.Access);
        Assert.Equal(HttpStatusCode.NoContent, signedOut.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", other.Access)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(other.Refresh)).Status);
        // Again, or with nothing: the same answer.
        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Post, "/api/v1/auth/revoke", token: other.Access)).Status);
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signout" && e.Outcome == "api" && e.Subject == account.Id.ToString())));
    }

    [Fact]
    public async Task BlockingTheCustomerOrChangingTheSecurityStampStopsTheAppAtItsNextCall()
    {
        var (customer, account) = await CustomerAsync();
        using var api = ApiClient.For(_app);
        var pair = await api.TokensAsync(customer.Email, customer.Password);

        // A new stamp (what a password change or "sign out everywhere" sets) voids the tokens issued before it.
        await _app.WithDbAsync(db => db.Users.Where(a => a.Id == account.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.SecurityStamp, Guid.NewGuid().ToString("N"))));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", pair.Access)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.RefreshAsync(pair.Refresh)).Status);

        var again = await api.TokensAsync(customer.Email, customer.Password);
        await _app.WithDbAsync(db => db.Users.Where(a => a.Id == account.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, Derbes.Web.Customers.AccountStatus.Blocked)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", again.Access)).Status);
        var blocked = await api.SignInAsync(customer.Email, customer.Password, language: "ru");
        Assert.Equal(HttpStatusCode.Forbidden, blocked.Status);
        Assert.Equal("urn:derbes:problem:account-blocked", blocked.ProblemType);
        Assert.Equal(_app.TextIn("ru", "Login.Blocked"), blocked.Json.GetProperty("detail").GetString());
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signin.failed" && e.Outcome == "blocked (api)" && e.Subject == account.Id.ToString())));
    }

    [Fact]
    public async Task StaffCannotSignInThroughTheAppEvenWithTheRightPasswordAndCode()
    {
        var staff = await StaffJourneys.CreateAsync(_app, StaffRoles.Support);
        using var api = ApiClient.For(_app);
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = new Totp(Base32Encoding.ToBytes(staff.TotpKey)).ComputeTotp(_app.Clock.GetUtcNow().UtcDateTime);

        var refused = await api.SignInAsync(staff.Email, staff.Password, code);
        var wrong = await api.SignInAsync(staff.Email, WrongPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal(Problem(wrong), Problem(refused));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signin.failed" && e.Outcome == "staff (api)" && e.Subject == staff.Id.ToString())));
        Assert.Equal(0, await _app.WithDbAsync(db => db.Sessions.CountAsync(s => s.AccountId == staff.Id)));
    }

    [Fact]
    public async Task ACustomerWithTwoStepSignInGivesTheAuthenticatorCodeAndWrongCodesCountTowardsTheLock()
    {
        var (customer, account) = await CustomerAsync();
        var key = StaffAuthenticator.NewKey();
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Derbes.Web.Data.DerbesDb>();
            db.UserTokens.AddRange(StaffAuthenticator.Enrol(scope.ServiceProvider.GetRequiredService<PersonalDataVault>(), account.Id, key, _app.Clock.GetUtcNow().ToUnixTimeSeconds() / 30));
            await db.SaveChangesAsync();
            await db.Users.Where(a => a.Id == account.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.TwoFactorEnabled, true));
        }
        using var api = ApiClient.For(_app);

        var asked = await api.SignInAsync(customer.Email, customer.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, asked.Status);
        Assert.Equal("urn:derbes:problem:two-factor-required", asked.ProblemType);
        // Each wrong code, though sent with the right password, counts: guessing codes ends in a lock.
        for (var i = 1; i <= 2; i++)
        {
            var wrong = await api.SignInAsync(customer.Email, customer.Password, "000000");
            Assert.Equal("urn:derbes:problem:invalid-two-factor-code", wrong.ProblemType);
            Assert.Equal(i, (await AccountAsync(customer.Email)).AccessFailedCount);
        }

        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(_app.Clock.GetUtcNow().UtcDateTime);
        var signedIn = await api.SignInAsync(customer.Email, customer.Password, code);
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        Assert.Equal(0, (await AccountAsync(customer.Email)).AccessFailedCount);
        // The same code cannot sign in twice.
        Assert.Equal("urn:derbes:problem:invalid-two-factor-code", (await api.SignInAsync(customer.Email, customer.Password, code)).ProblemType);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "signin.succeeded" && e.Outcome == "2fa (api)" && e.Subject == account.Id.ToString())));
    }

    [Fact]
    public async Task BadRequestsUnknownRoutesAndMissingTokensAreProblemsInTheRequestLanguage()
    {
        using var api = ApiClient.For(_app);

        var empty = await api.SendAsync(HttpMethod.Post, "/api/v1/auth/token", new { }, language: "ru");
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Equal("urn:derbes:problem:validation", empty.ProblemType);
        var errors = empty.Json.GetProperty("errors");
        Assert.Equal(_app.TextIn("ru", "Validation.Required"), errors.GetProperty("login")[0].GetString());
        Assert.Equal(_app.TextIn("ru", "Validation.Required"), errors.GetProperty("password")[0].GetString());
        var longLogin = await api.SignInAsync(new string('a', 10_000) + "@example.kz", WrongPassword);
        Assert.True(longLogin.Json.GetProperty("errors").TryGetProperty("login", out _));

        using var notJson = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/token") { Content = new StringContent("{\"login\": ", Encoding.UTF8, "application/json") };
        var broken = await api.Client.SendAsync(notJson);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal("application/problem+json", broken.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("JsonException", await broken.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var nowhere = await api.GetAsync("/api/v1/nowhere", token: null, language: "en");
        Assert.Equal(HttpStatusCode.NotFound, nowhere.Status);
        Assert.Equal("urn:derbes:problem:not-found", nowhere.ProblemType);
        Assert.Equal(_app.TextIn("en", "Error.NotFound.Message"), nowhere.Json.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(nowhere.Json.GetProperty("correlationId").GetString()));

        var anonymous = await api.GetAsync("/api/v1/me", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("urn:derbes:problem:authentication-required", anonymous.ProblemType);
        Assert.Equal("Bearer", anonymous.Response.Headers.WwwAuthenticate.ToString());
        var forged = await api.GetAsync("/api/v1/me", token: "dat_" + new string('A', 43));
        Assert.Equal("urn:derbes:problem:invalid-token", forged.ProblemType);
    }

    [Fact]
    public async Task TheAppSharesThePerIpLimitOfTheSignInPage()
    {
        using var app = new DerbesApp(new() { ["RateLimits:AccountPostsPerWindow"] = "3" });
        using var browser = app.NewBrowser();
        using var api = ApiClient.For(app);
        var someone = Journeys.Someone();

        await Journeys.SignInAsync(browser, someone.Email, WrongPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.SignInAsync(someone.Email, WrongPassword)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.SignInAsync(someone.Email, WrongPassword)).Status);
        var refused = await api.SignInAsync(someone.Email, WrongPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("urn:derbes:problem:too-many-requests", refused.ProblemType);
        var retryAfter = refused.Response.Headers.RetryAfter?.Delta?.TotalSeconds
            ?? double.Parse(refused.Response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Journeys.SignInAsync(browser, someone.Email, WrongPassword)).Status);
    }

    /// <summary>What the app shows of a problem: everything but the correlation id, which differs on every call.</summary>
    private static string Problem(ApiAnswer answer) =>
        string.Join("|", answer.Status, answer.ProblemType, answer.Json.GetProperty("title").GetString(), answer.Json.GetProperty("detail").GetString());
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Derbes.Web.Tests.Infrastructure;

namespace Derbes.Web.Tests.Api;

/// <summary>A token pair as the app keeps it.</summary>
public sealed record AppTokenPair(string Access, string Refresh, int ExpiresIn, int RefreshExpiresIn);

/// <summary>One answer of the API: status, headers and the JSON body (or nothing).</summary>
public sealed class ApiAnswer(HttpResponseMessage response, string body)
{
    public HttpStatusCode Status => response.StatusCode;
    public HttpResponseMessage Response => response;
    public string Body => body;
    public string? ContentType => response.Content.Headers.ContentType?.MediaType;
    public JsonElement Json => JsonDocument.Parse(body).RootElement;

    /// <summary>The problem's <c>type</c>; fails the test when the answer is not problem+json.</summary>
    public string ProblemType
    {
        get
        {
            Assert.Equal("application/problem+json", ContentType);
            return Json.GetProperty("type").GetString()!;
        }
    }
}

/// <summary>
/// The mobile app as the API sees it: JSON over HTTPS, no cookies ever (a fresh handler without a cookie jar), the
/// access token in the Authorization header.
/// </summary>
public sealed class ApiClient(HttpClient client) : IDisposable
{
    public static ApiClient For(DerbesApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new ApiClient(app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://localhost"),
            AllowAutoRedirect = false,
            HandleCookies = false,
        }));
    }

    public HttpClient Client { get; } = client;

    public async Task<ApiAnswer> SendAsync(HttpMethod method, string url, object? body = null, string? token = null, string? language = null, string? userAgent = "SMALL-app/3.1 (Android 14)")
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (language is not null)
        {
            request.Headers.AcceptLanguage.ParseAdd(language);
        }
        if (userAgent is not null)
        {
            request.Headers.UserAgent.ParseAdd(userAgent);
        }
        var response = await Client.SendAsync(request);
        return new ApiAnswer(response, await response.Content.ReadAsStringAsync());
    }

    public Task<ApiAnswer> GetAsync(string url, string? token, string? language = null) => SendAsync(HttpMethod.Get, url, token: token, language: language);

    public Task<ApiAnswer> SignInAsync(string login, string password, string? code = null, string? language = null) =>
        SendAsync(HttpMethod.Post, "/api/v1/auth/token", new { login, password, code }, language: language);

    /// <summary>Signs in and returns the pair; fails the test unless the API answers 200.</summary>
    public async Task<AppTokenPair> TokensAsync(string login, string password)
    {
        var answer = await SignInAsync(login, password);
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body);
        return Pair(answer);
    }

    public Task<ApiAnswer> RefreshAsync(string refreshToken) =>
        SendAsync(HttpMethod.Post, "/api/v1/auth/refresh", new { refreshToken });

    public static AppTokenPair Pair(ApiAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var json = answer.Json;
        Assert.Equal("Bearer", json.GetProperty("tokenType").GetString());
        return new AppTokenPair(
            json.GetProperty("accessToken").GetString()!,
            json.GetProperty("refreshToken").GetString()!,
            json.GetProperty("expiresIn").GetInt32(),
            json.GetProperty("refreshExpiresIn").GetInt32());
    }

    public void Dispose() => Client.Dispose();
}

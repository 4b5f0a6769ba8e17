using System.Net;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Security;

/// <summary>
/// Cross-site request forgery, checked over the whole site rather than form by form: a page another site makes a
/// signed-in person's browser submit carries the session cookie but never the antiforgery token. So every route that
/// takes a POST with the cookie must refuse one without the token before its handler runs, whoever is signed in; and
/// the API, which the browser could also be made to call, must not take the cookie at all (it answers bearer tokens
/// only). The few routes that take a POST without a token say why below; each is tested for what guards it instead.
/// </summary>
public sealed class ForgeryTests(ForgeryTests.App app) : IClassFixture<ForgeryTests.App>
{
    public sealed class App : DerbesApp;

    /// <summary>Routes that take a POST without the site's token, and what guards them instead.</summary>
    private static readonly Dictionary<string, string> Exempt = new(StringComparer.Ordinal)
    {
        // Only ever re-executed for another request's error; a POST to it shows the error page and changes nothing.
        ["/error/{code:int?}"] = "no action",
        // RFC 8058 one-click unsubscribe: mail clients POST without any page; the token in the address is the capability.
        ["/unsubscribe/{token}"] = "token in the address (UnsubscribeTests)",
        // The SMS provider's webhook: no cookie is read; each POST is signed with a shared secret (SmsReplyTests).
        ["/sms/inbound"] = "HMAC signature",
        // Read-only probes for the load balancer.
        ["/health/live"] = "no action",
        ["/health/ready"] = "no action",
    };

    [Fact]
    public async Task EveryPostWithTheCookieButWithoutTheTokenIsRefusedBeforeItsHandlerForVisitorsCustomersAndStaff()
    {
        var routes = Routes(app.Services).Where(r => !r.Api && !Exempt.ContainsKey(r.Pattern)).ToList();
        Assert.Contains(routes, r => r.Path == "/cabinet/profile");
        Assert.Contains(routes, r => r.Path == "/admin/staff/invite");
        Assert.Contains(routes, r => r.Path == "/culture");
        Assert.True(routes.Count >= 60, $"only {routes.Count} routes found");

        using var visitor = app.NewBrowser();
        using var customer = app.NewBrowser();
        var registered = await Journeys.RegisteredAndConfirmedAsync(app, customer);
        await Journeys.SignInAsync(customer, registered.Email, registered.Password);
        using var staff = app.NewBrowser();
        var member = await StaffJourneys.CreateAsync(app, StaffRoles.All);
        await StaffJourneys.SignInAsync(app, staff, member);
        // Each browser has been given an antiforgery cookie by now: only the form's token is missing.
        var entriesBefore = await app.WithDbAsync(db => db.AuditEntries.CountAsync());

        var accepted = new List<string>();
        foreach (var (who, browser) in new[] { ("visitor", visitor), ("customer", customer), ("staff", staff) })
        {
            foreach (var route in routes)
            {
                using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["culture"] = "ru", ["returnUrl"] = "/" });
                using var response = await browser.Client.PostAsync(route.Path, form);
                // Refused by antiforgery (400), or before it by authorization: sent to sign in, or a 403.
                var refused = response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden
                    || (response.StatusCode == HttpStatusCode.Found && response.Headers.Location is { } to
                        && new Uri(browser.Client.BaseAddress!, to).AbsolutePath == "/account/login");
                if (!refused)
                {
                    accepted.Add($"{who} POST {route.Path} ({route.Pattern}): {(int)response.StatusCode} {response.Headers.Location}");
                }
            }
        }
        Assert.True(accepted.Count == 0, "POSTs without the token that were not refused:\n" + string.Join("\n", accepted));

        // No handler ran: the only entries written meanwhile are the logged refusals (403s), never an action.
        var written = await app.WithDbAsync(db => db.AuditEntries.OrderBy(e => e.Id).Skip(entriesBefore).Select(e => e.Action).ToListAsync());
        Assert.All(written, action => Assert.Equal("access.denied", action));
    }

    [Fact]
    public async Task TheApiNeverTakesTheSitesCookieSoAForgedCallFromABrowserIsUnauthorized()
    {
        var routes = Routes(app.Services).Where(r => r.Api && r.NeedsSignIn).ToList();
        Assert.Contains(routes, r => r.Path.StartsWith("/api/v1/me", StringComparison.Ordinal));

        using var customer = app.NewBrowser();
        var registered = await Journeys.RegisteredAndConfirmedAsync(app, customer);
        await Journeys.SignInAsync(customer, registered.Email, registered.Password);
        Assert.Equal(HttpStatusCode.OK, (await customer.GetAsync("/cabinet/profile")).Status);
        foreach (var route in routes)
        {
            foreach (var method in route.Methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), route.Path);
                if (method != HttpMethods.Get)
                {
                    // What the endpoint takes: with anything else routing itself answers 415, before anyone asks who calls.
                    request.Content = route.Takes.Contains("multipart/form-data")
                        ? new MultipartFormDataContent { { new StringContent("1"), "x" } }
                        : new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }
                using var response = await customer.Client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {route.Path} with the site's cookie: {(int)response.StatusCode}");
            }
        }
    }

    private sealed record Route(string Pattern, string Path, bool Api, bool NeedsSignIn, IReadOnlyList<string> Methods, IReadOnlyList<string> Takes);

    /// <summary>Every route that takes something other than GET, with made-up values where its address has any.</summary>
    private static List<Route> Routes(IServiceProvider services)
    {
        var routes = new List<Route>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var declared = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            // Razor Pages declare no methods: each takes a POST (a page without OnPost still runs its filters).
            var methods = declared is { Count: > 0 } ? [.. declared] : new List<string> { HttpMethods.Post };
            if (methods.All(m => m == HttpMethods.Get || m == HttpMethods.Head))
            {
                continue;
            }
            var pattern = endpoint.RoutePattern;
            var segments = pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(Value))).Where(s => s.Length > 0);
            var path = "/" + string.Join('/', segments);
            var raw = "/" + (pattern.RawText ?? "").TrimStart('/');
            var api = path.StartsWith("/api/", StringComparison.Ordinal);
            var needsSignIn = endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null;
            var takes = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? [];
            routes.Add(new Route(raw, path, api, needsSignIn, methods, takes));
        }
        return [.. routes.DistinctBy(r => (r.Path, string.Join(',', r.Methods)))];

        static string Value(RoutePatternPart part) => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart { IsOptional: true } => "",
            RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content == "guid") => Guid.NewGuid().ToString(),
            RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content is "long" or "int") => "1",
            _ => "made-up",
        };
    }
}

using System.Collections.Concurrent;
using System.Net;
using Derbes.Web.Audit;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
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
    /// <summary>The app with a page filter that notes every page handler about to run: a refused POST never gets there.</summary>
    public sealed class App : DerbesApp
    {
        public ConcurrentQueue<string> HandlersRun { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.Configure<MvcOptions>(o => o.Filters.Add(new HandlerProbe(HandlersRun))));
        }
    }

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
        var routes = SiteRoutes.All(app.Services).Where(r => !r.Api && r.Answers(HttpMethods.Post) && !Exempt.ContainsKey(r.Pattern)).ToList();
        Assert.Contains(routes, r => r.Path == "/cabinet/profile");
        Assert.Contains(routes, r => r.Path == "/admin/staff/invite");
        Assert.Contains(routes, r => r.Path == "/culture");
        Assert.True(routes.Count >= 60, $"only {routes.Count} routes found");

        using var people = await ThreeVisitors.SignInAsync(app);
        // Each browser has been given an antiforgery cookie by now: only the form's token is missing.
        var entriesBefore = await app.WithDbAsync(db => db.AuditEntries.MaxAsync(e => (long?)e.Id)) ?? 0;
        app.HandlersRun.Clear();

        var accepted = new List<string>();
        foreach (var (who, browser) in people.All)
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

        // No page handler ran but the error page's, which shows each refusal; and the only entries the three wrote
        // meanwhile are the logged refusals (403s), never an action. Background jobs write as "system".
        Assert.All(app.HandlersRun, page => Assert.Equal("/Error", page));
        var written = await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Id > entriesBefore && e.Role != AuditTrail.SystemRole).Select(e => e.Action).ToListAsync());
        Assert.All(written, action => Assert.Equal("access.denied", action));
    }

    [Fact]
    public async Task TheApiNeverTakesTheSitesCookieSoAForgedCallFromABrowserIsUnauthorized()
    {
        var routes = SiteRoutes.All(app.Services).Where(r => r.Api && r.NeedsSignIn).ToList();
        Assert.Contains(routes, r => r.Path == "/api/v1/me/data");
        Assert.Contains(routes, r => r.Path == "/api/v1/me/documents" && r.Answers(HttpMethods.Post));

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

    private sealed class HandlerProbe(ConcurrentQueue<string> run) : IAsyncPageFilter
    {
        public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

        public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(next);
            run.Enqueue(context.ActionDescriptor.ViewEnginePath);
            return next();
        }
    }
}

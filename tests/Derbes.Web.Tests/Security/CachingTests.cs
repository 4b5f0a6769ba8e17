using System.Net;
using Derbes.Web.Security;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Security;

/// <summary>
/// SECURITY-CHECKS 19 and the policy's promise that personal data is not kept where it should not be: no answer the
/// site composes may stay in a browser's or a proxy's cache, whoever asks. The site is private by default (one rule
/// for every routed answer), so a page added tomorrow cannot forget it; only the static files are cacheable. An
/// answer that sets its own keeps it: the downloads' exact "no-store" is checked where they are tested.
/// </summary>
public sealed class CachingTests(CachingTests.App app) : IClassFixture<CachingTests.App>
{
    public sealed class App : DerbesApp;

    [Fact]
    public async Task EveryPageAndEndpointAnswerIsKeptFromCachesForVisitorsCustomersAndStaff()
    {
        var paths = GetPaths(app.Services);
        // The site's own pages, as a sanity check that the list is the real one and not empty.
        Assert.Contains("/cabinet/profile", paths, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("/admin/customers", paths, StringComparer.OrdinalIgnoreCase);
        Assert.True(paths.Count >= 40, $"only {paths.Count} routes found");

        using var visitor = app.NewBrowser();
        using var customer = app.NewBrowser();
        var registered = await Journeys.RegisteredAndConfirmedAsync(app, customer);
        await Journeys.SignInAsync(customer, registered.Email, registered.Password);
        using var staff = app.NewBrowser();
        var member = await StaffJourneys.CreateAsync(app, StaffRoles.All);
        await StaffJourneys.SignInAsync(app, staff, member);

        // A server error is a problem of its own, and its page would hide what the route answers.
        var problems = new List<string>();
        foreach (var (who, browser) in new[] { ("visitor", visitor), ("customer", customer), ("staff", staff) })
        {
            foreach (var path in paths)
            {
                using var response = await browser.Client.GetAsync(path);
                if ((int)response.StatusCode >= 500 || response.Headers.CacheControl is not { NoStore: true })
                {
                    problems.Add($"{who} GET {path}: {(int)response.StatusCode}, Cache-Control '{response.Headers.CacheControl}'");
                }
            }
        }
        Assert.True(problems.Count == 0, "server errors, or answers a cache may keep:\n" + string.Join("\n", problems));
    }

    [Theory]
    [InlineData("/css/site.css")]
    [InlineData("/js/site.js")]
    public async Task StaticFilesStayCacheable(string path)
    {
        using var browser = app.NewBrowser();
        using var response = await browser.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(true, response.Headers.CacheControl?.NoStore);
    }

    /// <summary>Every GET route of the app that needs no value in its path (optional ones left out).</summary>
    private static List<string> GetPaths(IServiceProvider services)
    {
        var endpoints = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var paths = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            if (methods is { Count: > 0 } && !methods.Contains(HttpMethods.Get))
            {
                continue;
            }
            var pattern = endpoint.RoutePattern;
            if (pattern.Parameters.Any(p => !p.IsOptional && p.Default is null))
            {
                continue;
            }
            var segments = pattern.PathSegments
                .Where(s => s.Parts.All(p => p is RoutePatternLiteralPart))
                .Select(s => string.Concat(s.Parts.Cast<RoutePatternLiteralPart>().Select(p => p.Content)));
            paths.Add("/" + string.Join('/', segments));
        }
        return [.. paths];
    }
}

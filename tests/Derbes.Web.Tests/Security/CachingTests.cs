using System.Net;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Derbes.Web.Tests.Security;

/// <summary>
/// SECURITY-CHECKS 19 and the policy's promise that personal data is not kept where it should not be: no answer the
/// site composes may stay in a browser's or a proxy's cache, whoever asks. The site is private by default (one rule
/// for everything past the static files), so a page added tomorrow cannot forget it; only the static files are
/// cacheable. An answer that sets its own keeps it: the downloads' exact "no-store" is checked where they are tested.
/// </summary>
public sealed class CachingTests(CachingTests.App app) : IClassFixture<CachingTests.App>
{
    public sealed class App : DerbesApp;

    [Fact]
    public async Task EveryAnswerTheSiteComposesIsKeptFromCachesForVisitorsCustomersAndStaff()
    {
        var paths = SiteRoutes.All(app.Services).Where(r => r.Answers(HttpMethods.Get)).Select(r => r.Path).Distinct().ToList();
        Assert.Contains("/cabinet/profile", paths);
        Assert.Contains("/admin/customers", paths);
        Assert.Contains(paths, p => p.StartsWith("/cabinet/documents/", StringComparison.Ordinal));
        Assert.True(paths.Count >= 60, $"only {paths.Count} routes found");
        // Addresses no route takes (the API's problem+json and the site's page), and downloads made by a page's handler.
        paths.AddRange(["/no-such-page", "/api/v1/no-such", "/css/no-such.css"]);
        var downloads = new[] { ("customer", "/cabinet/my-data?handler=json"), ("staff", "/admin/audit?handler=csv"), ("staff", "/admin/disclosures?handler=csv") };

        using var people = await ThreeVisitors.SignInAsync(app);
        var browsers = people.All.ToDictionary(p => p.Who, p => p.Browser);

        // A server error is a problem of its own, and its page would hide what the route answers.
        var problems = new List<string>();
        foreach (var (who, browser) in browsers)
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
        foreach (var (who, path) in downloads)
        {
            using var response = await browsers[who].Client.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentDisposition?.DispositionType != "attachment"
                || response.Headers.CacheControl is not { NoStore: true })
            {
                problems.Add($"{who} GET {path}: {(int)response.StatusCode}, Cache-Control '{response.Headers.CacheControl}'");
            }
        }
        Assert.True(problems.Count == 0, "server errors, or answers a cache may keep:\n" + string.Join("\n", problems));

        // All the while the customer and the member of staff were signed in: their pages were theirs, not the sign-in form.
        Assert.Equal(HttpStatusCode.OK, (await people.Customer.Client.GetAsync("/cabinet/profile")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await people.Staff.Client.GetAsync("/admin/customers")).StatusCode);
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
}

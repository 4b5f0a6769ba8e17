using System.Net;
using Derbes.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Derbes.Web.Tests.Security;

/// <summary>
/// Behind a load balancer: the customer's address comes from X-Forwarded-For, but only when the request
/// really comes from a configured proxy; anyone else sending the header is ignored.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string Proxy = "10.0.0.5";

    /// <summary>The app with the TCP peer address taken from a test header (TestServer has none of its own).</summary>
    private sealed class BehindProxy() : DerbesApp(new()
    {
        ["Proxy:KnownProxies:0"] = Proxy,
        ["RateLimits:AccountPostsPerWindow"] = "2",
    })
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddTransient<IStartupFilter, PeerFromTestHeader>());
        }
    }

    private sealed class PeerFromTestHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(context.Request.Headers["X-Test-Peer"].FirstOrDefault() ?? "192.0.2.1");
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private static Browser Client(DerbesApp app, string peer, string? forwardedFor)
    {
        var browser = app.NewBrowser();
        browser.Client.DefaultRequestHeaders.Add("X-Test-Peer", peer);
        if (forwardedFor is not null)
        {
            browser.Client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }
        return browser;
    }

    [Fact]
    public async Task ThePerIpLimitCountsEachCustomerBehindTheProxySeparately()
    {
        using var app = new BehindProxy();
        using var first = Client(app, Proxy, "203.0.113.7");
        using var second = Client(app, Proxy, "203.0.113.8");
        var someone = Journeys.Someone();

        Assert.Equal(HttpStatusCode.OK, (await Journeys.SignInAsync(first, someone.Email, "wrong password 1")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Journeys.SignInAsync(first, someone.Email, "wrong password 2")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Journeys.SignInAsync(first, someone.Email, "wrong password 3")).Status);
        // Same proxy, another customer: a window of their own, not the proxy's.
        Assert.Equal(HttpStatusCode.OK, (await Journeys.SignInAsync(second, someone.Email, "wrong password 4")).Status);
    }

    [Fact]
    public async Task AHeaderFromAnyoneButTheProxyIsIgnored()
    {
        using var app = new BehindProxy();
        var someone = Journeys.Someone();
        // A client talking to the app directly invents a new address for every request: still one window.
        for (var i = 0; i < 2; i++)
        {
            using var direct = Client(app, "198.51.100.20", $"203.0.113.{100 + i}");
            Assert.Equal(HttpStatusCode.OK, (await Journeys.SignInAsync(direct, someone.Email, "wrong password")).Status);
        }
        using var again = Client(app, "198.51.100.20", "203.0.113.200");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Journeys.SignInAsync(again, someone.Email, "wrong password")).Status);
    }

    [Fact]
    public async Task TheSessionRecordsTheCustomersAddressNotTheProxys()
    {
        using var app = new BehindProxy();
        using var browser = Client(app, Proxy, "203.0.113.9");
        var customer = await Journeys.RegisteredAndConfirmedAsync(app, browser);
        app.Clock.Advance(TimeSpan.FromMinutes(2)); // a fresh rate-limit window for the sign-in
        Assert.Equal("/cabinet", (await Journeys.SignInAsync(browser, customer.Email, customer.Password)).Url.AbsolutePath);
        var ips = await app.WithDbAsync(db => db.Sessions.Select(s => s.Ip).ToListAsync());
        Assert.Equal(["203.0.113.9"], ips);
    }
}

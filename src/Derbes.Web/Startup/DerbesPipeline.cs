using Derbes.Web.Api;
using Derbes.Web.Data;
using Derbes.Web.Localization;
using Derbes.Web.Privacy;
using Derbes.Web.Security;
using Derbes.Web.Settings;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Startup;

public static partial class DerbesPipeline
{
    public static void UseDerbesPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var proxies = app.Configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
        if (proxies.Configured)
        {
            // First, so that everything after it sees the customer's address and scheme.
            var forwarded = new ForwardedHeadersOptions();
            proxies.ApplyTo(forwarded);
            app.UseForwardedHeaders(forwarded);
        }
        // A generic page (or nothing) for every error: no stack trace, SQL or path ever leaves (SECURITY-CHECKS 35).
        app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        // Under /api errors are problem+json, not the error page.
        app.UseApiProblems();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        app.UseSecurityHeaders();
        app.UseStaticFiles();
        // Everything past the static files is the site's own answer: no cache keeps it (SECURITY-CHECKS 19).
        app.UsePrivateByDefault();
        app.UseRouting();
        app.UseAuthentication();
        app.UseRequestLocalization();
        app.UseRateLimiter();
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.Postgres)
        {
            app.UseMiddleware<SharedRateLimit>();
        }
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapRazorPages();
        app.MapDerbesApi();
        Campaigns.SmsReplies.MapSmsReplies(app);

        // The language switcher: a POST (no GET changes anything), remembered in a cookie for a year.
        app.MapPost("/culture", ([FromForm] string? culture, [FromForm] string? returnUrl, HttpContext context) =>
        {
            context.Response.Cookies.Append(
                Languages.CookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(Languages.OrDefault(culture))),
                new CookieOptions { MaxAge = TimeSpan.FromDays(365), HttpOnly = true, Secure = context.Request.IsHttps, SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true });
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
        });
    }

    /// <summary>
    /// Local paths only: "/x" but not "//host", "/\host" or anything with a control character, which
    /// browsers strip ("/\t/host" becomes "//host") (SECURITY-CHECKS 37).
    /// </summary>
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.Length <= 2048 && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(c => char.IsControl(c) || c == '\\');

    public static async Task InitialiseDerbesAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DerbesDb>();
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var clock = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Derbes.Startup");
        if (db.Database.IsSqlite())
        {
            // WAL lets readers go on while one writer writes; it is a property of the file and stays set.
            await db.Database.OpenConnectionAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            await db.Database.CloseConnectionAsync();
        }
        await using (await db.LockStartupAsync(CancellationToken.None))
        {
            if (options.MigrateAtStart)
            {
                await db.Database.MigrateAsync();
            }
            await PolicySeed.PublishFirstEditionAsync(db, clock, CancellationToken.None);
            await Calendar.CalendarSeed.SeedAsync(db, clock, CancellationToken.None);
            await StaffSetup.EnsureRolesAsync(services.GetRequiredService<Microsoft.AspNetCore.Identity.RoleManager<Microsoft.AspNetCore.Identity.IdentityRole<Guid>>>());
        }
        // What Administrators saved at /admin/settings, now that the table exists, before the first request.
        await services.GetRequiredService<DatabaseSettings>().ReloadAsync(CancellationToken.None);
        await StaffSetup.OfferFirstAdministratorAsync(services, logger, CancellationToken.None);
    }
}

using System.Globalization;
using Derbes.Web.Data;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

/// <summary>
/// The per-IP limit on the account forms when several instances share one PostgreSQL database: the same fixed
/// window as the in-memory limiter, but counted in the database, so N instances do not allow N times as many
/// requests. Applies to POSTs of endpoints marked <c>[EnableRateLimiting(RateLimits.Accounts)]</c>. The limit
/// and window are read at each request (they can be changed at /admin/settings).
/// </summary>
public sealed class SharedRateLimit(RequestDelegate next, IOptionsMonitor<RateLimitOptions> options, TimeProvider clock, BlindIndex index)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limited = HttpMethods.IsPost(context.Request.Method)
            && context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == RateLimits.Accounts;
        if (!limited)
        {
            await next(context);
            return;
        }
        var o = options.CurrentValue;
        var now = clock.GetUtcNow();
        var windowTicks = o.Window.Ticks;
        var windowStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % windowTicks), TimeSpan.Zero);
        var key = RateLimits.Accounts + ":" + index.ClientAddress(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        var db = context.RequestServices.GetRequiredService<DerbesDb>();
        var count = await db.CountRequestAsync(key, windowStart, context.RequestAborted);
        if (count == 1 && Random.Shared.Next(256) == 0)
        {
            // Now and then, whoever opens a window clears addresses that have not been seen for an hour.
            var stale = windowStart - TimeSpan.FromHours(1);
            await db.RateCounters.Where(c => c.WindowStart < stale).ExecuteDeleteAsync(context.RequestAborted);
        }
        if (count > o.AccountPostsPerWindow)
        {
            var retry = windowStart + o.Window - now;
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return;
        }
        await next(context);
    }
}

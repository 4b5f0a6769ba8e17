using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Security;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>POSTs to the account pages (sign-in, registration, reset) per client IP per window.</summary>
    public int AccountPostsPerWindow { get; set; } = 30;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Account POSTs in progress at once across all clients; beyond it they queue, then get 429.</summary>
    public int ConcurrentAccountPosts { get; set; } = 64;
    public int QueuedAccountPosts { get; set; } = 256;
}

/// <summary>
/// Per-IP limits on the pages that hash passwords or send messages (SECURITY-CHECKS 9). On SQLite (one
/// instance) the window is counted in memory; on PostgreSQL, where several instances share the database, it is
/// counted there by <see cref="SharedRateLimit"/>, so the limit is not multiplied by the number of instances.
/// The limit and the window can be changed at /admin/settings while the site runs, so both are read at each
/// request, never captured at start.
/// </summary>
public static class RateLimits
{
    public const string Accounts = "accounts";

    public static IServiceCollection AddDerbesRateLimits(this IServiceCollection services, bool shared)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : Current(context.HttpContext).Window;
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
            limiter.AddPolicy(Accounts, context =>
            {
                // Reading pages is free; only the POSTs that hash or send are counted.
                // Shared windows are counted by SharedRateLimit (in the database), not here.
                if (shared || !HttpMethods.IsPost(context.Request.Method))
                {
                    return RateLimitPartition.GetNoLimiter("read");
                }
                var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                // The limit and window are part of the partition: a changed setting starts a fresh window with the
                // new values (the limiter of the old ones is dropped once idle) instead of keeping the old forever.
                var current = Current(context);
                var (limit, window) = (current.AccountPostsPerWindow, current.Window);
                var partition = string.Create(CultureInfo.InvariantCulture, $"{ip}|{limit}|{window.Ticks}");
                return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limit,
                    Window = window,
                    QueueLimit = 0,
                });
            });
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // The sign-in page's and the app's token endpoint share the same hashing capacity.
                if (!HttpMethods.IsPost(context.Request.Method)
                    || !(context.Request.Path.StartsWithSegments("/account", StringComparison.OrdinalIgnoreCase)
                        || context.Request.Path.StartsWithSegments("/api/v1/auth/token", StringComparison.OrdinalIgnoreCase)))
                {
                    return RateLimitPartition.GetNoLimiter("other");
                }
                // Not editable on the settings page: this one limiter is created once, with the options of the first account POST.
                var options = Current(context);
                return RateLimitPartition.GetConcurrencyLimiter("account-posts", _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = options.ConcurrentAccountPosts,
                    QueueLimit = options.QueuedAccountPosts,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
            });
        });
        return services;
    }

    private static RateLimitOptions Current(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue;
}

using System.Globalization;
using System.Threading.RateLimiting;

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
/// </summary>
public static class RateLimits
{
    public const string Accounts = "accounts";

    public static IServiceCollection AddDerbesRateLimits(this IServiceCollection services, IConfiguration configuration, bool shared)
    {
        var options = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.Window;
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
                return RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.AccountPostsPerWindow,
                    Window = options.Window,
                    QueueLimit = 0,
                });
            });
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/account", StringComparison.OrdinalIgnoreCase)
                    ? RateLimitPartition.GetConcurrencyLimiter("account-posts", _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = options.ConcurrentAccountPosts,
                        QueueLimit = options.QueuedAccountPosts,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter("other"));
        });
        return services;
    }
}

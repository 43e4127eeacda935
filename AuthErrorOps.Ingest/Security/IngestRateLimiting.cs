using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AuthErrorOps.Ingest.Security;

/// <summary>
/// <c>Ingest:RateLimitPerSecond</c> requests per second per API key: a guard against a runaway
/// client, sized never to be the bottleneck. 429 problem with Retry-After when exceeded.
/// </summary>
public static class IngestRateLimiting
{
    public const string PerApiKeyPolicy = "per-api-key";

    public static IServiceCollection AddIngestRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = "This API key exceeded Ingest:RateLimitPerSecond; retry after the Retry-After delay." },
                });
            };
            limiter.AddPolicy(PerApiKeyPolicy, context =>
            {
                var perSecond = context.RequestServices.GetRequiredService<IOptions<IngestOptions>>().Value.RateLimitPerSecond;
                var caller = context.User.Identity?.Name ?? "anonymous";
                if (perSecond == 0)
                {
                    return RateLimitPartition.GetNoLimiter(caller);
                }

                return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perSecond,
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        });
        return services;
    }
}

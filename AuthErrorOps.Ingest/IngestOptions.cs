using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AuthErrorOps.Ingest;

public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    // Development without a configured key still hashes (never stores raw ids), with a key everyone knows.
    internal const string DevelopmentPiiHashKey = "autherrorops-development-only-pii-hash-key";

    /// <summary>Accepted <c>X-Api-Key</c> values; none → writes are refused with 401.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>HMAC key for principal and IP hashes; required outside Development.</summary>
    public string? PiiHashKey { get; set; }

    [Range(1, 10_000, ErrorMessage = "Ingest:MaxBatchSize must be between {1} and {2}.")]
    public int MaxBatchSize { get; set; } = 500;

    [Range(0, 10_000_000, ErrorMessage = "Ingest:RateLimitPerSecond must be between {1} (disabled) and {2}.")]
    public int RateLimitPerSecond { get; set; } = 20_000;

    public string EffectivePiiHashKey => string.IsNullOrEmpty(PiiHashKey) ? DevelopmentPiiHashKey : PiiHashKey;

    /// <summary>A batch may carry 32 KiB per item on average, within a 64 MiB ceiling.</summary>
    public static long BatchBodyLimit(int maxBatchSize) => Math.Min(64L * 1024 * 1024, Math.Max(64L * 1024, maxBatchSize * 32L * 1024));
}

internal sealed class IngestOptionsValidator(IHostEnvironment environment) : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        if (string.IsNullOrEmpty(options.PiiHashKey))
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail("Ingest:PiiHashKey is required outside Development: set a secret of at least 16 characters.");
        }

        return options.PiiHashKey.Length < 16
            ? ValidateOptionsResult.Fail("Ingest:PiiHashKey must be at least 16 characters.")
            : ValidateOptionsResult.Success;
    }
}

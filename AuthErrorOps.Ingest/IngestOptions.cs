using System.ComponentModel.DataAnnotations;

namespace AuthErrorOps.Ingest;

public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>Accepted <c>X-Api-Key</c> values; none → writes are refused with 401.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>HMAC key for principal and IP hashes; required outside Development.</summary>
    public string? PiiHashKey { get; set; }

    [Range(1, 10_000, ErrorMessage = "Ingest:MaxBatchSize must be between {1} and {2}.")]
    public int MaxBatchSize { get; set; } = 500;

    [Range(0, 10_000_000, ErrorMessage = "Ingest:RateLimitPerSecond must be between {1} (disabled) and {2}.")]
    public int RateLimitPerSecond { get; set; } = 20_000;
}

namespace AuthErrorOps.Ingest.Model;

/// <summary>
/// An accepted report as it is stored: free text scrubbed and bounded, identifiers replaced by
/// their HMAC, the fingerprint computed. Nothing in it is a secret or a raw personal identifier.
/// </summary>
public sealed record NormalizedAuthError
{
    public required string RequestId { get; init; }

    public required string RequestHash { get; init; }

    public required Guid EventId { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required short HttpStatus { get; init; }

    public required string ErrorType { get; init; }

    public required string Severity { get; init; }

    public required bool SecuritySignal { get; init; }

    public required string ExceptionClass { get; init; }

    public required string Stacktrace { get; init; }

    public required string StackHash { get; init; }

    public required short FingerprintVersion { get; init; }

    public required string ClusterTitle { get; init; }

    public string? SourceService { get; init; }

    public string? Environment { get; init; }

    public string? ExceptionMessage { get; init; }

    public string? RootCauseClass { get; init; }

    public string? RootCauseMessage { get; init; }

    public string? Endpoint { get; init; }

    public string? HttpMethod { get; init; }

    public string? Provider { get; init; }

    public string? ClientType { get; init; }

    public string? UserAgentFamily { get; init; }

    public string? PrincipalHash { get; init; }

    public string? IpHash { get; init; }

    public string? TraceId { get; init; }

    /// <summary>Scrubbed attributes as JSON text, or null.</summary>
    public string? Attributes { get; init; }
}

namespace AuthErrorOps.Dashboard.Pipeline;

/// <summary><c>GET /api/pipeline</c>: a part that could not be read is null and named in <see cref="Errors"/>.</summary>
public sealed record PipelineOverview(
    OutboxState? Outbox,
    IReadOnlyList<QueueState>? Queues,
    IReadOnlyList<ClusterState>? TopClusters,
    IReadOnlyList<DeadLetterState>? DeadLetters,
    PipelineRates Rates,
    IReadOnlyDictionary<string, string> Errors);

public sealed record OutboxState(IReadOnlyDictionary<string, long> Counts, double? OldestPendingAgeSeconds);

public sealed record QueueState(string Name, long Messages, long Consumers);

public sealed record ClusterState(long ClusterId, string Title, long TotalCount, DateTimeOffset LastSeenAt, string Status);

public sealed record DeadLetterState(
    long Id, Guid? EventId, string Reason, string? LastError, int DeliveryCount, DateTimeOffset LastSeenAt, string ReplayStatus);

/// <summary>Per second over the last 10 s, summed over instances; null until the counter was received.</summary>
public sealed record PipelineRates(double? AcceptedPerSecond, double? PublishedPerSecond, double? LinkedPerSecond);

/// <summary>The Ingest replay's answer, passed through.</summary>
public sealed record ReplayOutcome(int StatusCode, string ContentType, string Body);

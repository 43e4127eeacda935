namespace AuthErrorOps.Core.Messaging;

/// <summary>
/// Payload of <c>auth.error.recorded.v1</c>. Ids only: the consumer reads the stored (scrubbed)
/// error itself, so no personal data travels through the broker.
/// </summary>
public sealed record AuthErrorRecorded(
    Guid EventId,
    long AuthErrorId,
    string RequestId,
    string StackHash,
    string ErrorType,
    DateTimeOffset OccurredAt,
    DateTimeOffset ReceivedAt,
    string? TraceParent,
    string? TraceState);

using System.Globalization;

namespace AuthErrorOps.Core.Messaging;

/// <summary>Names of the RabbitMQ topology (DESIGN §6). These are contracts.</summary>
public static class AuthErrorTopology
{
    public const string Exchange = "auth.error.exchange";
    public const string RecordedEventType = "auth.error.recorded.v1";
    public const string RecordedQueue = "auth.error.recorded.q";

    public const string RetryExchange = "auth.error.recorded.retry.exchange";
    public const string RetryQueuePrefix = "auth.error.recorded.retry.q.";
    public const string RetryCountHeader = "x-retry-count";

    public const string DeadLetterExchange = "auth.error.recorded.dlx";
    public const string DeadLetterQueue = "auth.error.recorded.q.dlq";

    /// <summary>Short, stable name of a retry tier: <c>10s</c>, <c>1m</c>, <c>2h</c>, <c>250ms</c>.</summary>
    public static string RetryTierName(TimeSpan delay) => delay switch
    {
        { Ticks: <= 0 } => throw new ArgumentOutOfRangeException(nameof(delay), delay, "A retry delay must be positive."),
        _ when delay.Ticks % TimeSpan.TicksPerHour == 0 => Invariant($"{(long)delay.TotalHours}h"),
        _ when delay.Ticks % TimeSpan.TicksPerMinute == 0 => Invariant($"{(long)delay.TotalMinutes}m"),
        _ when delay.Ticks % TimeSpan.TicksPerSecond == 0 => Invariant($"{(long)delay.TotalSeconds}s"),
        _ => Invariant($"{(long)Math.Ceiling(delay.TotalMilliseconds)}ms"),
    };

    /// <summary>The TTL queue of a tier; the tier name is also its routing key on the retry exchange.</summary>
    public static string RetryQueue(TimeSpan delay) => RetryQueuePrefix + RetryTierName(delay);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

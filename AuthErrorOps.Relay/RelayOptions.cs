using System.ComponentModel.DataAnnotations;

namespace AuthErrorOps.Relay;

public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>
    /// Rows claimed per loop at most; a claim takes what is due, so this matters only with a backlog. Then the
    /// relay's rate is loops × batch per cycle, and a cycle (claim, publish, confirms, mark) slows down with
    /// everything else when the cores are saturated: with 200 the relay fell behind at 2,500 events/s on this
    /// machine, with 1,000 it kept up (docs/performance.md, "Evening figures (3 December)").
    /// </summary>
    [Range(1, 5_000, ErrorMessage = "Relay:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 1_000;

    /// <summary>Claim-publish loops per relay: confirms of one batch are awaited while others are claimed and sent.</summary>
    [Range(1, 32, ErrorMessage = "Relay:Concurrency must be between {1} and {2}.")]
    public int Concurrency { get; set; } = 4;

    /// <summary>Fallback only: new rows wake the relay through LISTEN/NOTIFY.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Relay:PollInterval must be between {1} and {2}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Relay:LeaseDuration must be between {1} and {2}.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, 1_000, ErrorMessage = "Relay:MaxAttempts must be between {1} and {2}.")]
    public int MaxAttempts { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Relay:RetentionPeriod must be between {1} and {2}.")]
    public TimeSpan RetentionPeriod { get; set; } = TimeSpan.FromDays(7);

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Relay:BackoffBase must be between {1} and {2}.")]
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "Relay:BackoffCap must be between {1} and {2}.")]
    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a batch waits for broker confirms before its unconfirmed rows count as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Relay:PublishTimeout must be between {1} and {2}.")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(15);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Relay:ReaperInterval must be between {1} and {2}.")]
    public TimeSpan ReaperInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Relay:RetentionInterval must be between {1} and {2}.")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 100_000, ErrorMessage = "Relay:RetentionBatchSize must be between {1} and {2}.")]
    public int RetentionBatchSize { get; set; } = 1_000;

    /// <summary>Owner name written to claimed rows; defaults to the OTel service.instance.id, else host-pid-random.</summary>
    public string? InstanceId { get; set; }
}

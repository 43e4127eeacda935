using System.ComponentModel.DataAnnotations;

namespace AuthErrorOps.Relay;

public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    [Range(1, 5_000, ErrorMessage = "Relay:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Relay:PollInterval must be between {1} and {2}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Relay:LeaseDuration must be between {1} and {2}.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, 1_000, ErrorMessage = "Relay:MaxAttempts must be between {1} and {2}.")]
    public int MaxAttempts { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Relay:RetentionPeriod must be between {1} and {2}.")]
    public TimeSpan RetentionPeriod { get; set; } = TimeSpan.FromDays(7);
}

namespace AuthErrorOps.ServiceDefaults;

public sealed class RabbitMQClientSettings
{
    public string? ConnectionString { get; set; }

    public int MaxConnectRetryCount { get; set; } = 5;

    public bool DisableHealthChecks { get; set; }

    public bool DisableTracing { get; set; }

    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay;
using AuthErrorOps.Relay.Outbox;
using AuthErrorOps.Relay.Telemetry;

namespace Microsoft.Extensions.Hosting;

internal static class RelayExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("authdb");
        builder.AddRabbitMQClient("messaging");

        builder.AddSchemaMigration();
        builder.AddMessagingTopology();

        builder.Services.AddOptions<RelayOptions>()
            .BindConfiguration(RelayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Shutdown waits for the batch in flight: its publish timeout plus the settling update.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(45));

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutboxStore>();
        builder.Services.AddSingleton<RelayInstance>();
        builder.Services.AddSingleton<RelayMetrics>();
        builder.Services.AddSingleton<OutboxPublisher>();
        builder.Services.AddSingleton<OutboxWakeUp>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxWakeUp>());
        builder.Services.AddHostedService<OutboxRelayService>();
        builder.Services.AddHostedService<OutboxMaintenanceService>();
        builder.Services.AddHostedService<OutboxBacklogMonitor>();
    }
}

using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay;
using AuthErrorOps.Relay.Outbox;
using AuthErrorOps.Relay.Telemetry;

namespace Microsoft.Extensions.Hosting;

internal static class RelayExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // A relay write lost in a server crash loses no event: a lost claim or publish mark leaves the
        // row to be published again, and the consumer's processed_message absorbs the duplicate. So the
        // relay's commits do not wait for their WAL flush (the ingest and consumer commits still do).
        builder.AddNpgsqlDataSource("authdb", configureDataSourceBuilder: dataSource =>
            dataSource.ConnectionStringBuilder.Options = $"{dataSource.ConnectionStringBuilder.Options} -c synchronous_commit=off".Trim());
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
        builder.Services.AddSingleton<ClaimFloor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxWakeUp>());
        builder.Services.AddHostedService<OutboxRelayService>();
        builder.Services.AddHostedService<OutboxMaintenanceService>();
        builder.Services.AddHostedService<OutboxBacklogMonitor>();
    }
}

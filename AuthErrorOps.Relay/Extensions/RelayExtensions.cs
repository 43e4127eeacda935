using AuthErrorOps.Relay;

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
    }
}

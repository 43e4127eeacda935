using AuthErrorOps.Consumer;
using AuthErrorOps.Consumer.Messaging;
using AuthErrorOps.Consumer.Telemetry;
using AuthErrorOps.Core.Analysis;
using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.DeadLetters;

namespace Microsoft.Extensions.Hosting;

internal static class ConsumerExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("authdb");
        builder.AddRabbitMQClient("messaging");

        builder.AddSchemaMigration();
        builder.AddMessagingTopology();

        builder.Services.AddOptions<ConsumerOptions>()
            .BindConfiguration(ConsumerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<IAuthErrorAnalyzer, RuleBasedAuthErrorAnalyzer>();
        builder.Services.AddSingleton<ClusterLinker>();
        builder.Services.AddSingleton<DeadLetterLedger>();
        builder.Services.AddSingleton<MessageRouter>();
        builder.Services.AddSingleton<ConsumerMetrics>();
        builder.Services.AddHostedService<AuthErrorRecordedConsumer>();
        builder.Services.AddHostedService<DeadLetterDrainer>();
    }
}

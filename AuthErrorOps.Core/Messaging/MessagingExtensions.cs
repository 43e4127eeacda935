using AuthErrorOps.Core.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    /// <summary>Binds <c>Messaging:*</c> and declares the topology at start-up (requires a registered RabbitMQ IConnection).</summary>
    public static IHostApplicationBuilder AddMessagingTopology(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();
        builder.Services.AddSingleton<MessagingTopology>();
        builder.Services.AddHostedService<MessagingTopologyService>();
        return builder;
    }
}

using System.Net.Sockets;
using AuthErrorOps.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Microsoft.Extensions.Hosting;

/// <summary>The equivalent of Aspire.RabbitMQ.Client: one long-lived IConnection from <c>ConnectionStrings:{name}</c>.</summary>
public static partial class RabbitMQClientExtensions
{
    private const string DefaultConfigSectionName = "Aspire:RabbitMQ:Client";

    // RabbitMQ.Client 7 traces publish and receive itself, propagating traceparent in headers.
    public static readonly string[] ActivitySourceNames = ["RabbitMQ.Client.Publisher", "RabbitMQ.Client.Subscriber"];

    public static void AddRabbitMQClient(this IHostApplicationBuilder builder, string connectionName,
        Action<RabbitMQClientSettings>? configureSettings = null, Action<ConnectionFactory>? configureConnectionFactory = null)
    {
        var settings = new RabbitMQClientSettings();
        builder.Configuration.GetSection(DefaultConfigSectionName).Bind(settings);
        if (builder.Configuration.GetConnectionString(connectionName) is { } connectionString)
        {
            settings.ConnectionString = connectionString;
        }

        configureSettings?.Invoke(settings);

        if (string.IsNullOrWhiteSpace(settings.ConnectionString)
            || !Uri.TryCreate(settings.ConnectionString, UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException(
                $"ConnectionString is missing or not an amqp:// URI. It should be provided in 'ConnectionStrings:{connectionName}' " +
                $"(environment variable ConnectionStrings__{connectionName}) or under the 'ConnectionString' key in '{DefaultConfigSectionName}' configuration section.");
        }

        var clientName = builder.Environment.ApplicationName;
        builder.Services.AddSingleton<IConnectionFactory>(_ =>
        {
            var factory = new ConnectionFactory
            {
                Uri = uri,
                ClientProvidedName = clientName,
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            };
            configureConnectionFactory?.Invoke(factory);
            return factory;
        });
        builder.Services.AddSingleton(serviceProvider => Connect(
            serviceProvider.GetRequiredService<IConnectionFactory>(),
            settings.MaxConnectRetryCount,
            serviceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("AuthErrorOps.ServiceDefaults.RabbitMQ")));

        if (!settings.DisableHealthChecks)
        {
            builder.Services.AddHealthChecks().AddCheck<RabbitMQHealthCheck>(
                $"RabbitMQ_{connectionName}", tags: ["ready"], timeout: settings.HealthCheckTimeout);
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(ActivitySourceNames));
        }
    }

    private static IConnection Connect(IConnectionFactory factory, int retryCount, ILogger logger)
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<SocketException>().Handle<BrokerUnreachableException>(),
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                MaxRetryAttempts = retryCount,
                OnRetry = args =>
                {
                    LogConnectRetry(logger, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        // DI factories are synchronous; this runs once per process.
        return pipeline.ExecuteAsync(async token => await factory.CreateConnectionAsync(token)).AsTask().GetAwaiter().GetResult();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ not reachable (attempt {Attempt}); retrying in {Delay}: {Reason}")]
    private static partial void LogConnectRetry(ILogger logger, int attempt, TimeSpan delay, string? reason);
}

using AuthErrorOps.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>The equivalent of Aspire.Npgsql: an NpgsqlDataSource from <c>ConnectionStrings:{name}</c>.</summary>
public static class NpgsqlClientExtensions
{
    private const string DefaultConfigSectionName = "Aspire:Npgsql";

    public const int DefaultMaxAutoPrepare = 64;

    public const int DefaultConnectionIdleLifetimeSeconds = 3600;

    public const int DefaultMaxPoolSize = 16;

    public static void AddNpgsqlDataSource(this IHostApplicationBuilder builder, string connectionName,
        Action<NpgsqlClientSettings>? configureSettings = null, Action<NpgsqlDataSourceBuilder>? configureDataSourceBuilder = null)
    {
        var settings = new NpgsqlClientSettings();
        builder.Configuration.GetSection(DefaultConfigSectionName).Bind(settings);
        if (builder.Configuration.GetConnectionString(connectionName) is { } connectionString)
        {
            settings.ConnectionString = connectionString;
        }

        configureSettings?.Invoke(settings);

        if (string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionString is missing. It should be provided in 'ConnectionStrings:{connectionName}' " +
                $"(environment variable ConnectionStrings__{connectionName}) or under the 'ConnectionString' key in '{DefaultConfigSectionName}' configuration section.");
        }

        var validatedConnectionString = settings.ConnectionString;
        builder.Services.AddSingleton(serviceProvider =>
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(validatedConnectionString);
            // Each default below yields to the connection string's own value, even one equal to Npgsql's default.
            // Npgsql writes back exactly the keys the string set, under their canonical names whatever synonym
            // was used ("MaxPoolSize" becomes "Maximum Pool Size"), so one spelling per key is enough here.
            var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = dataSourceBuilder.ConnectionStringBuilder.ConnectionString };

            if (!given.ContainsKey("Max Auto Prepare"))
            {
                // Our statements are few and fixed: prepare each on first use per connection rather
                // than parse and plan it every time.
                dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
            }

            if (!given.ContainsKey("No Reset On Close"))
            {
                // Returning a connection to the pool otherwise costs seven statements on its next use
                // (DISCARD's parts: 3,000 a second at 3,000 events/s). Our code leaves no session state
                // behind: settings are SET LOCAL or undone (the migrator's lock), LISTEN has its own connection.
                dataSourceBuilder.ConnectionStringBuilder.NoResetOnClose = true;
            }

            if (!given.ContainsKey("Connection Idle Lifetime"))
            {
                // With the default 300 s the pool closed every connection it had not needed at its 10-s
                // samples all at once, every five minutes; the next burst reopened them (fork, auth,
                // catalog caches, statements prepared again) and stalled the 2 cores for ~1 s.
                dataSourceBuilder.ConnectionStringBuilder.ConnectionIdleLifetime = DefaultConnectionIdleLifetimeSeconds;
            }

            if (!given.ContainsKey("Maximum Pool Size"))
            {
                // More connections than a few per core only move the queue into PostgreSQL, where waiting costs
                // CPU: in a stall Ingest opened one per waiting request (65 at 3,000 events/s), each a backend
                // forked, authenticated and warmed, all runnable at once when the stall ended, crowding out the
                // relay's and the consumer's few. Requests beyond the cap wait in the pool instead, for free.
                dataSourceBuilder.ConnectionStringBuilder.MaxPoolSize = DefaultMaxPoolSize;
            }

            dataSourceBuilder.UseLoggerFactory(serviceProvider.GetService<ILoggerFactory>());
            configureDataSourceBuilder?.Invoke(dataSourceBuilder);
            return dataSourceBuilder.Build();
        });
        builder.Services.AddSingleton<System.Data.Common.DbDataSource>(sp => sp.GetRequiredService<NpgsqlDataSource>());

        if (!settings.DisableHealthChecks)
        {
            builder.Services.AddHealthChecks().AddCheck<NpgsqlHealthCheck>(
                $"PostgreSql_{connectionName}", tags: ["ready"], timeout: settings.HealthCheckTimeout);
        }

        if (!settings.DisableTracing)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());
        }

        if (!settings.DisableMetrics)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddNpgsqlInstrumentation());
        }
    }
}

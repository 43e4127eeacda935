using AuthErrorOps.Core.Clusters;
using AuthErrorOps.Core.DeadLetters;
using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Ingest;
using AuthErrorOps.Ingest.Apis;
using AuthErrorOps.Ingest.Infrastructure;
using AuthErrorOps.Ingest.Model;
using AuthErrorOps.Ingest.Security;
using AuthErrorOps.Ingest.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

internal static class IngestExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("authdb");
        builder.AddRabbitMQClient("messaging");

        builder.AddSchemaMigration();
        builder.AddMessagingTopology();

        builder.Services.AddOptions<IngestOptions>()
            .BindConfiguration(IngestOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        builder.Services.AddHostedService<IngestStartupReport>();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PiiHasher>();
        builder.Services.AddSingleton<AuthErrorNormalizer>();
        builder.Services.AddSingleton<OutboxNotifier>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxNotifier>());
        builder.Services.AddSingleton<AuthErrorStore>();
        builder.Services.AddSingleton<AuthErrorQueries>();
        builder.Services.AddSingleton<OutboxStore>();
        builder.Services.AddSingleton<ClusterQueries>();
        builder.Services.AddSingleton<DeadLetterLedger>();
        builder.Services.AddSingleton<DeadLetterReplayer>();
        builder.Services.AddSingleton<IngestMetrics>();

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, IngestJsonContext.Default);
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddIngestRateLimiting();
        builder.Services.AddOpenApi();
    }

    /// <summary>The middleware order matters: errors become problems, then who is calling, then how often.</summary>
    public static WebApplication UseApiPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi();
        return app;
    }
}

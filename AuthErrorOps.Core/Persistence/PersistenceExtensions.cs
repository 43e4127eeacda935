using AuthErrorOps.Core.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class PersistenceExtensions
{
    /// <summary>Applies pending schema migrations at start-up (requires a registered NpgsqlDataSource).</summary>
    public static IHostApplicationBuilder AddSchemaMigration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddHostedService<SchemaMigrationService>();
        return builder;
    }
}

using Dapper;
using DbUp;
using DbUp.Postgresql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AuthErrorOps.Core.Persistence;

/// <summary>
/// Applies the versioned SQL scripts in <c>Persistence/Migrations</c> once, journaled in
/// <c>schema_version</c>. Every service calls it at start-up, so instances serialise on a
/// PostgreSQL advisory lock: the first applies the scripts, the others find them journaled.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    // Fixed key shared by every AuthErrorOps process ("AEOPS-M1").
    private const long MigrationLockKey = 0x4145_4F50_532D_4D31;

    private const string AcquireLockSql = """
        SET lock_timeout = '120s';
        SELECT pg_advisory_lock(@key);
        """;

    // Pooled connections are not reset on return (NpgsqlClientExtensions): undo the session's lock and setting.
    private const string ReleaseLockSql = """
        SELECT pg_advisory_unlock(@key);
        RESET lock_timeout;
        """;

    public const string JournalTable = "schema_version";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await lockConnection.ExecuteAsync(new CommandDefinition(AcquireLockSql, new { key = MigrationLockKey }, cancellationToken: cancellationToken));
        try
        {
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(new PostgresqlConnectionManager(dataSource))
                .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly, IsMigrationScript)
                .WithTransactionPerScript()
                .JournalToPostgresqlTable("public", JournalTable)
                .LogTo(logger)
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Schema migration failed in script '{result.ErrorScript?.Name}': {result.Error?.Message}", result.Error);
            }
        }
        finally
        {
            // The lock is session-scoped; release it explicitly because the connection returns to the pool.
            await lockConnection.ExecuteAsync(new CommandDefinition(ReleaseLockSql, new { key = MigrationLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    public static IReadOnlyList<string> ScriptNames { get; } = typeof(SchemaMigrator).Assembly
        .GetManifestResourceNames()
        .Where(IsMigrationScript)
        .Order(StringComparer.Ordinal)
        .ToArray();

    private static bool IsMigrationScript(string resourceName) =>
        resourceName.Contains(".Persistence.Migrations.", StringComparison.Ordinal)
        && resourceName.EndsWith(".sql", StringComparison.Ordinal);
}

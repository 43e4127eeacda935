using AuthErrorOps.Core.Persistence;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Foundation;

public sealed class SchemaMigrationTests(InfrastructureFixture infrastructure)
{
    private static readonly string[] ContractTables =
        ["auth_error", "outbox_message", "processed_message", "auth_error_cluster", "auth_error_cluster_item", "dead_letter_message"];

    [Fact]
    public async Task Migrations_applied_concurrently_and_again_leave_one_schema()
    {
        var connectionString = await infrastructure.DatabaseAsync(nameof(Migrations_applied_concurrently_and_again_leave_one_schema));
        await using var first = NpgsqlDataSource.Create(connectionString);
        await using var second = NpgsqlDataSource.Create(connectionString);
        var ct = TestContext.Current.CancellationToken;

        // Two services starting at the same moment, then a restart.
        await Task.WhenAll(
            new SchemaMigrator(first, NullLogger<SchemaMigrator>.Instance).MigrateAsync(ct),
            new SchemaMigrator(second, NullLogger<SchemaMigrator>.Instance).MigrateAsync(ct));
        await new SchemaMigrator(first, NullLogger<SchemaMigrator>.Instance).MigrateAsync(ct);

        await using var connection = await first.OpenConnectionAsync(ct);
        var journaled = (await connection.QueryAsync<string>($"SELECT scriptname FROM {SchemaMigrator.JournalTable}")).ToList();
        Assert.Equal(SchemaMigrator.ScriptNames.Order(), journaled.Order());
        Assert.NotEmpty(journaled);

        var tables = await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY(@names)",
            new { names = ContractTables });
        Assert.Equal(ContractTables.Order(), tables.Order());
    }

    [Fact]
    public async Task Outbox_and_error_tables_have_the_contract_columns_and_constraints()
    {
        await using var dataSource = await MigratedDataSourceAsync(nameof(Outbox_and_error_tables_have_the_contract_columns_and_constraints));
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);

        var outboxColumns = await connection.QueryAsync<string>(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox_message'");
        Assert.Superset(
            new HashSet<string> { "id", "event_id", "aggregate_type", "aggregate_id", "event_type", "payload", "payload_hash", "status",
                "attempts", "next_attempt_at", "locked_by", "locked_until", "last_error", "created_at", "published_at" },
            outboxColumns.ToHashSet());

        // Statuses are constrained to the lifecycle of DESIGN §5.
        var invalidStatus = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("""
            INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash, status)
            VALUES (gen_random_uuid(), 'auth_error', '1', 'auth.error.recorded.v1', '{}', repeat('0', 64), 'SENT')
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, invalidStatus.SqlState);

        // A PROCESSING row always names its owner and lease.
        var orphanLease = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("""
            INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash, status)
            VALUES (gen_random_uuid(), 'auth_error', '1', 'auth.error.recorded.v1', '{}', repeat('0', 64), 'PROCESSING')
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, orphanLease.SqlState);

        const string insertError = """
            INSERT INTO auth_error (request_id, event_id, request_hash, occurred_at, http_status, error_type, severity,
                                    exception_class, stacktrace, stack_hash, fingerprint_version)
            VALUES ('req-1', gen_random_uuid(), repeat('a', 64), now(), 401, 'TOKEN_EXPIRED', 'LOW', 'X', 'at X', repeat('b', 64), 1)
            """;
        await connection.ExecuteAsync(insertError);
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(insertError));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }

    [Fact]
    public async Task Every_report_pays_only_for_the_auth_error_indexes_a_query_reads()
    {
        await using var dataSource = await MigratedDataSourceAsync(nameof(Every_report_pays_only_for_the_auth_error_indexes_a_query_reads));
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);

        // By id, by request_id (idempotency) and by event_id; stack_hash and received_at are read by no query (migration 0003).
        var indexes = await connection.QueryAsync<string>("SELECT indexname FROM pg_indexes WHERE tablename = 'auth_error'");
        Assert.Equal(["auth_error_pkey", "uq_auth_error_event_id", "uq_auth_error_request_id"], indexes.Order());
    }

    [Fact]
    public async Task Every_processed_event_pays_only_for_the_ledger_key()
    {
        await using var dataSource = await MigratedDataSourceAsync(nameof(Every_processed_event_pays_only_for_the_ledger_key));
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);

        // Read only by (consumer, event_id); processed_at is read by no query (migration 0004).
        var indexes = await connection.QueryAsync<string>("SELECT indexname FROM pg_indexes WHERE tablename = 'processed_message'");
        Assert.Equal(["pk_processed_message"], indexes.Order());
    }

    [Fact]
    public async Task Analyze_samples_the_tables_that_grow_per_event_at_3000_rows_and_skips_their_wide_columns()
    {
        await using var dataSource = await MigratedDataSourceAsync(nameof(Analyze_samples_the_tables_that_grow_per_event_at_3000_rows_and_skips_their_wide_columns));
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);

        // ANALYZE samples 300 rows per unit of the largest target: a column left at the default (-1, i.e. 100)
        // would take the sample back to 30,000 rows (migration 0005).
        var defaults = await connection.QueryAsync<string>("""
            SELECT attrelid::regclass::text || '.' || attname FROM pg_attribute
            WHERE attrelid = ANY (ARRAY['auth_error', 'outbox_message', 'processed_message', 'auth_error_cluster_item']::regclass[])
              AND attnum > 0 AND NOT attisdropped AND NOT attstattarget BETWEEN 0 AND 10
            """);
        Assert.Empty(defaults);

        await connection.ExecuteAsync("""
            INSERT INTO auth_error (request_id, event_id, request_hash, occurred_at, http_status, error_type, severity,
                                    exception_class, stacktrace, stack_hash, fingerprint_version)
            SELECT 'req-' || n, gen_random_uuid(), repeat('a', 64), now(), 401, 'TOKEN_EXPIRED', 'LOW', 'X', 'at X.Y' || n, repeat('b', 64), 1
            FROM generate_series(1, 50) AS n;
            INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash)
            SELECT gen_random_uuid(), 'auth_error', n::text, 'auth.error.recorded.v1', jsonb_build_object('n', n), repeat('0', 64)
            FROM generate_series(1, 50) AS n;
            ANALYZE auth_error, outbox_message;
            """);
        var analysed = (await connection.QueryAsync<string>(
            "SELECT tablename || '.' || attname FROM pg_stats WHERE tablename IN ('auth_error', 'outbox_message')")).ToHashSet();
        Assert.Contains("auth_error.status", analysed);
        Assert.Contains("outbox_message.status", analysed);
        Assert.DoesNotContain("auth_error.stacktrace", analysed);
        Assert.DoesNotContain("outbox_message.payload", analysed);
    }

    [Fact]
    public async Task Linking_an_error_fires_no_trigger()
    {
        await using var dataSource = await MigratedDataSourceAsync(nameof(Linking_an_error_fires_no_trigger));
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);

        // Foreign keys are triggers, run row by row: the link table has none, nor do the tables it would reference (migration 0006).
        var triggers = await connection.QueryAsync<string>("""
            SELECT tgrelid::regclass::text || ': ' || tgname FROM pg_trigger
            WHERE tgrelid = ANY (ARRAY['auth_error', 'auth_error_cluster', 'auth_error_cluster_item']::regclass[])
            """);
        Assert.Empty(triggers);
    }

    private async Task<NpgsqlDataSource> MigratedDataSourceAsync(string owner)
    {
        var dataSource = NpgsqlDataSource.Create(await infrastructure.DatabaseAsync(owner));
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
        return dataSource;
    }
}

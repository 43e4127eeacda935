using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Relay;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Relay;

/// <summary>
/// Pins the relay's plan shapes. The claim: an ordered walk of the pending index that stops at the
/// batch size. The relay benchmark caught the planner, with statistics that predated a 200,000-row
/// backlog, bitmap-scanning and sorting every PENDING row per claim (600 ms each); this test sets up
/// skewed statistics and a backlog, though the planner does not always fall for it here. The
/// transitions out of PROCESSING: primary-key lookups, never a walk of the lease index, which keeps
/// an entry for every row claimed since the last vacuum (6 ms per mark at 80,000 claims, while the
/// transitions still stated the index's status predicate).
/// </summary>
public sealed class OutboxClaimPlanTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_claim_walks_the_pending_index_in_order_even_when_statistics_predate_the_backlog()
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync(nameof(OutboxClaimPlanTests));
        await using var _ = dataSource;
        await OutboxRows.InsertAsync(dataSource, 5_000);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await connection.ExecuteAsync("UPDATE outbox_message SET status = 'PUBLISHED', published_at = now() WHERE id % 1000 <> 0");
        await connection.ExecuteAsync("ANALYZE outbox_message");
        await OutboxRows.InsertAsync(dataSource, 100_000);

        var parameters = new { Owner = "plan-test", Lease = TimeSpan.FromSeconds(30), new RelayOptions().BatchSize, FromId = 0L };
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await connection.ExecuteAsync(OutboxStore.ClaimPlanSql, transaction: transaction);
        var plan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + OutboxStore.ClaimSql, parameters, transaction));
        await transaction.RollbackAsync(Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(plan);

        Assert.Contains("Index Scan using ix_outbox_message_pending", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Bitmap", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_claim_from_the_floor_skips_the_entries_of_rows_claimed_since_the_last_vacuum()
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync(nameof(OutboxClaimPlanTests) + "Floor");
        await using var _ = dataSource;
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        // Autovacuum would remove the dead entries this test is about.
        await connection.ExecuteAsync("ALTER TABLE outbox_message SET (autovacuum_enabled = false)");
        await OutboxRows.InsertAsync(dataSource, 30_000);
        await connection.ExecuteAsync("UPDATE outbox_message SET status = 'PROCESSING', locked_by = 'plan-test', locked_until = now() + interval '1 minute'");
        await connection.ExecuteAsync("UPDATE outbox_message SET status = 'PUBLISHED', published_at = now(), locked_by = NULL, locked_until = NULL");
        await OutboxRows.InsertAsync(dataSource, 50);
        var firstNew = await connection.ExecuteScalarAsync<long>("SELECT min(id) FROM outbox_message WHERE status = 'PENDING'");

        var fromHead = await ClaimBuffersAsync(connection, fromId: 0);
        var fromFloor = await ClaimBuffersAsync(connection, firstNew);

        Assert.InRange(fromFloor, 1, 20);
        Assert.True(fromHead > 5 * fromFloor, $"a claim from the head read {fromHead} buffers, from the floor {fromFloor}");
    }

    private static async Task<int> ClaimBuffersAsync(Npgsql.NpgsqlConnection connection, long fromId)
    {
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await connection.ExecuteAsync(OutboxStore.ClaimPlanSql, transaction: transaction);
        var plan = (await connection.QueryAsync<string>("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + OutboxStore.ClaimSql,
            new { Owner = "plan-test", Lease = TimeSpan.FromSeconds(30), BatchSize = 50, FromId = fromId }, transaction)).ToList();
        await transaction.RollbackAsync(Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', plan));
        var scan = plan.FindIndex(line => line.Contains("Index Scan using ix_outbox_message_pending", StringComparison.Ordinal));
        Assert.True(scan >= 0, "the claim does not walk ix_outbox_message_pending");
        // The index scan's own line of buffers: the first "Buffers:" below it.
        var buffers = plan.Skip(scan).First(line => line.TrimStart().StartsWith("Buffers:", StringComparison.Ordinal));
        return System.Text.RegularExpressions.Regex.Matches(buffers, @"(?:hit|read)=(\d+)")
            .Sum(match => int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Marking_a_batch_published_looks_its_rows_up_by_primary_key_and_the_reaper_uses_the_lease_index()
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync(nameof(OutboxClaimPlanTests) + "Mark");
        await using var _ = dataSource;
        await OutboxRows.InsertAsync(dataSource, 50_000);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        // PROCESSING rows are counted through the lease index (the gauges poll it every 5 s), not by a table scan,
        // also before the table's first ANALYZE (an index keyed on locked_until IS NOT NULL failed exactly there).
        await AssertBacklogCountsUseTheLeaseIndexAsync(connection);
        // Statistics from a quiet moment (no row PROCESSING), then 50,000 claims and publishes: dead lease-index entries.
        await connection.ExecuteAsync("ANALYZE outbox_message");
        await connection.ExecuteAsync("UPDATE outbox_message SET status = 'PROCESSING', locked_by = 'plan-test', locked_until = now() + interval '1 minute'");
        await connection.ExecuteAsync("UPDATE outbox_message SET status = 'PUBLISHED', published_at = now(), locked_by = NULL, locked_until = NULL WHERE id % 1000 <> 0");

        var parameters = new { Owner = "plan-test", Ids = (await connection.QueryAsync<long>("SELECT id FROM outbox_message WHERE status = 'PROCESSING'")).ToArray() };
        var plan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + OutboxStore.MarkPublishedSql, parameters));
        TestContext.Current.TestOutputHelper?.WriteLine(plan);

        Assert.Contains("outbox_message_pkey", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("ix_outbox_message_lease", plan, StringComparison.Ordinal);

        // The reaper still finds expired leases through the lease index, not by scanning the table.
        var reapPlan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + OutboxStore.ReapSql, new { BatchSize = 200, MaxAttempts = 10 }));
        TestContext.Current.TestOutputHelper?.WriteLine(reapPlan);
        Assert.Contains("Index Scan using ix_outbox_message_lease", reapPlan, StringComparison.Ordinal);

        await AssertBacklogCountsUseTheLeaseIndexAsync(connection);

        // That count is exact because a lease and PROCESSING go together, which the schema enforces.
        var leaseWithoutProcessing = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            "UPDATE outbox_message SET status = 'PENDING' WHERE id = (SELECT min(id) FROM outbox_message WHERE status = 'PROCESSING')"));
        Assert.Equal("ck_outbox_message_lease", leaseWithoutProcessing.ConstraintName);
    }

    private static async Task AssertBacklogCountsUseTheLeaseIndexAsync(Npgsql.NpgsqlConnection connection)
    {
        var plan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + OutboxStore.BacklogSql.Split(';')[0]));
        TestContext.Current.TestOutputHelper?.WriteLine(plan);
        Assert.Contains("ix_outbox_message_lease", plan, StringComparison.Ordinal);
    }
}

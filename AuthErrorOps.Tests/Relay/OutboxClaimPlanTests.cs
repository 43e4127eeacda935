using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Relay;

/// <summary>
/// Pins the claim's plan shape: an ordered walk of the pending index that stops at the batch size.
/// The relay benchmark caught the planner, with statistics that predated a 200,000-row backlog,
/// bitmap-scanning and sorting every PENDING row per claim (600 ms each); this test sets up
/// skewed statistics and a backlog, though the planner does not always fall for it here.
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

        var parameters = new { Owner = "plan-test", Lease = TimeSpan.FromSeconds(30), BatchSize = 200 };
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await connection.ExecuteAsync(OutboxStore.ClaimPlanSql, transaction: transaction);
        var plan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + OutboxStore.ClaimSql, parameters, transaction));
        await transaction.RollbackAsync(Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(plan);

        Assert.Contains("Index Scan using ix_outbox_message_pending", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Bitmap", plan, StringComparison.Ordinal);
    }
}

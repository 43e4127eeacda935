using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Relay;

public sealed class RelayLifecycleTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stopping_relay_settles_what_it_claimed_and_leaves_no_row_processing()
    {
        var owner = nameof(A_stopping_relay_settles_what_it_claimed_and_leaves_no_row_processing);
        var (dataSource, connectionString) = await infrastructure.MigratedDatabaseAsync(owner);
        await using var _ = dataSource;
        await OutboxRows.InsertAsync(dataSource, 20_000);

        var relay = RelayHost.Start(RelayHost.Settings(connectionString, await infrastructure.VirtualHostAsync(owner)));
        await Eventually.HoldsAsync("the relay publishing", async () =>
            (await OutboxRows.CountByStatusAsync(dataSource)).GetValueOrDefault("PUBLISHED") > 0, TimeSpan.FromSeconds(30));
        await relay.DisposeAsync();

        var counts = await OutboxRows.CountByStatusAsync(dataSource);
        Assert.Equal(0, counts.GetValueOrDefault("PROCESSING"));
        Assert.Equal(20_000, counts.GetValueOrDefault("PUBLISHED") + counts.GetValueOrDefault("PENDING"));
    }

    [Fact]
    public async Task Published_rows_past_retention_are_deleted_and_newer_ones_kept()
    {
        var owner = nameof(Published_rows_past_retention_are_deleted_and_newer_ones_kept);
        var (dataSource, connectionString) = await infrastructure.MigratedDatabaseAsync(owner);
        await using var _ = dataSource;
        await OutboxRows.InsertAsync(dataSource, 30);
        await using (var db = await dataSource.OpenConnectionAsync(Ct))
        {
            await db.ExecuteAsync("""
                UPDATE outbox_message SET status = 'PUBLISHED',
                    published_at = CASE WHEN id % 3 = 0 THEN now() ELSE now() - interval '2 hours' END
                """);
        }

        await using var relay = RelayHost.Start(RelayHost.Settings(connectionString, await infrastructure.VirtualHostAsync(owner),
            new Dictionary<string, string?> { ["Relay:RetentionPeriod"] = "01:00:00", ["Relay:RetentionBatchSize"] = "7" }));

        await Eventually.HoldsAsync("old PUBLISHED rows deleted", async () =>
            (await OutboxRows.CountByStatusAsync(dataSource)).GetValueOrDefault("PUBLISHED") == 10, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_operator_requeues_a_dead_row_which_resets_its_attempts_and_says_so()
    {
        var owner = nameof(An_operator_requeues_a_dead_row_which_resets_its_attempts_and_says_so);
        await using var ingest = await IngestHost.StartAsync(infrastructure, owner);
        await OutboxRows.InsertAsync(ingest.DataSource, 2);
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        var (dead, pending) = await db.QuerySingleAsync<(long, long)>("SELECT min(id), max(id) FROM outbox_message");
        await db.ExecuteAsync("UPDATE outbox_message SET status = 'DEAD', attempts = 10, last_error = 'unroutable: NO_ROUTE' WHERE id = @dead", new { dead });
        var client = ingest.CreateClient();

        var before = await client.GetFromJsonAsync<JsonElement>("/api/ops/outbox", Ct);
        using var requeued = await client.PostAsync($"/api/ops/outbox/{dead}/requeue", null, Ct);
        using var notDead = await client.PostAsync($"/api/ops/outbox/{pending}/requeue", null, Ct);
        using var missing = await client.PostAsync("/api/ops/outbox/999999999/requeue", null, Ct);
        using var anonymous = await ingest.CreateClient(apiKey: null).PostAsync($"/api/ops/outbox/{dead}/requeue", null, Ct);

        Assert.Equal(1, before.GetProperty("counts").GetProperty("DEAD").GetInt64());
        Assert.Equal(HttpStatusCode.OK, requeued.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, notDead.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var row = await db.QuerySingleAsync<(string Status, int Attempts, string LastError)>("SELECT status, attempts, last_error FROM outbox_message WHERE id = @dead", new { dead });
        Assert.Equal(("PENDING", 0), (row.Status, row.Attempts));
        Assert.Contains("requeued by an operator", row.LastError, StringComparison.Ordinal);
        Assert.Contains("unroutable: NO_ROUTE", row.LastError, StringComparison.Ordinal);
        var after = await client.GetFromJsonAsync<JsonElement>("/api/ops/outbox", Ct);
        Assert.Equal(0, after.GetProperty("counts").GetProperty("DEAD").GetInt64());
        Assert.Equal(2, after.GetProperty("counts").GetProperty("PENDING").GetInt64());
    }
}

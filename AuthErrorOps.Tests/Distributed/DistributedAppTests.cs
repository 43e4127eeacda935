using System.Net;
using System.Net.Http.Json;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.Tests.Infrastructure;
using AuthErrorOps.Tests.Ingest;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class DistributedAppTests(DistributedAppFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_resource_is_running_and_healthy_with_the_replicas_asked_for()
    {
        foreach (var name in new[] { "postgres", "authdb", "messaging", "ingest", "relay", "consumer" })
        {
            await fixture.App.WaitForResourceHealthyAsync(name, TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(ResourceState.Running, fixture.App.GetResource(name).State);
        }

        Assert.Equal(2, ((ProjectResource)fixture.App.GetResource("relay")).Instances.Count);
        Assert.Equal(2, ((ProjectResource)fixture.App.GetResource("consumer")).Instances.Count);
        using var health = await fixture.App.CreateHttpClient("ingest").GetAsync("/health", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.StartsWith("Host=127.0.0.1;", await fixture.App.GetConnectionStringAsync("authdb"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_thousand_events_over_thirty_variants_with_duplicate_requests_are_each_counted_once()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var bodies = Enumerable.Range(0, 1_000).Select(i => AuthErrorSamples.Valid(
            requestId: $"e2e-{run}-{i}",
            stack: $"   at Acme.E2E{run}.Variant{i % 30}.Validate(String token) in /src/V.cs:line {i}")).ToList();
        var requests = bodies.Concat(bodies.Where((_, i) => i % 10 == 0)).OrderBy(_ => Random.Shared.Next()).ToList();
        using var client = fixture.App.CreateHttpClient("ingest");

        using var throttle = new SemaphoreSlim(16);
        var statuses = await Task.WhenAll(requests.Select(async body =>
        {
            await throttle.WaitAsync(Ct);
            try
            {
                using var response = await client.PostAsJsonAsync("/api/auth-errors", body, Ct);
                return response.StatusCode;
            }
            finally
            {
                throttle.Release();
            }
        }));
        Assert.All(statuses, status => Assert.True(status is HttpStatusCode.Accepted or HttpStatusCode.OK, status.ToString()));
        Assert.Equal(1_000, statuses.Count(status => status == HttpStatusCode.Accepted));

        await using var dataSource = NpgsqlDataSource.Create((await fixture.App.GetConnectionStringAsync("authdb"))!);
        await Eventually.HoldsAsync("all 1,000 events linked", async () =>
        {
            await using var db = await dataSource.OpenConnectionAsync(Ct);
            return await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE request_id LIKE @prefix AND status = 'LINKED'", new { prefix = $"e2e-{run}-%" }) == 1_000;
        }, TimeSpan.FromSeconds(60));

        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        var clusters = (await connection.QueryAsync<(string Title, long Total)>(
            "SELECT title, total_count FROM auth_error_cluster WHERE cluster_key IN (SELECT stack_hash FROM auth_error WHERE request_id LIKE @prefix)",
            new { prefix = $"e2e-{run}-%" })).ToList();
        Assert.Equal(30, clusters.Count);
        Assert.Equal(1_000, clusters.Sum(c => c.Total));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox_message WHERE status <> 'PUBLISHED'"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM dead_letter_message"));
    }
}

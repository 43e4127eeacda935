using System.Net;
using System.Net.Http.Json;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.Tests.Infrastructure;
using AuthErrorOps.Tests.Ingest;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>
/// A run of events through the whole system: <c>count</c> distinct reports over <c>variants</c>
/// stack traces (one cluster each), every tenth sent twice. The checks say "nothing lost, nothing
/// double-counted" in the database's own words.
/// </summary>
public sealed class PipelineLoad(DistributedApplication app, int count, int variants)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Run { get; } = Guid.NewGuid().ToString("N")[..8];

    private string Prefix => $"e2e-{Run}-";

    public IReadOnlyList<Dictionary<string, object?>> Reports => field ??= Enumerable.Range(0, count).Select(i => AuthErrorSamples.Valid(
        requestId: $"{Prefix}{i}",
        stack: $"   at Acme.E2E{Run}.Variant{i % variants}.Validate(String token) in /src/V.cs:line {i}")).ToList();

    /// <summary>Every report once, every tenth twice, shuffled: one request each, <paramref name="parallelism"/> at a time.</summary>
    public async Task PostOneByOneAsync(int parallelism = 16, Func<int, Task>? afterEach = null)
    {
        var requests = Reports.Concat(Reports.Where((_, i) => i % 10 == 0)).OrderBy(_ => Random.Shared.Next()).ToList();
        using var client = app.CreateHttpClient("ingest");
        var sent = 0;
        using var throttle = new SemaphoreSlim(parallelism);
        var statuses = await Task.WhenAll(requests.Select(async body =>
        {
            await throttle.WaitAsync(Ct);
            try
            {
                using var response = await client.PostAsJsonAsync("/api/auth-errors", body, Ct);
                if (afterEach is not null)
                {
                    await afterEach(Interlocked.Increment(ref sent));
                }

                return response.StatusCode;
            }
            finally
            {
                throttle.Release();
            }
        }));
        Assert.All(statuses, status => Assert.True(status is HttpStatusCode.Accepted or HttpStatusCode.OK, status.ToString()));
        Assert.Equal(count, statuses.Count(status => status == HttpStatusCode.Accepted));
    }

    /// <summary>Every report once, every tenth twice, in batch requests of <paramref name="batchSize"/>.</summary>
    public async Task PostInBatchesAsync(int batchSize = 100, int parallelism = 4)
    {
        var items = Reports.Concat(Reports.Where((_, i) => i % 10 == 0)).OrderBy(_ => Random.Shared.Next()).ToList();
        using var client = app.CreateHttpClient("ingest");
        using var throttle = new SemaphoreSlim(parallelism);
        var results = await Task.WhenAll(items.Chunk(batchSize).Select(async chunk =>
        {
            await throttle.WaitAsync(Ct);
            try
            {
                using var response = await client.PostAsJsonAsync("/api/auth-errors/batch", new { items = chunk }, Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadFromJsonAsync<BatchResponse>(Ct);
                return body!.Results.Select(result => result.Status).ToList();
            }
            finally
            {
                throttle.Release();
            }
        }));
        var statuses = results.SelectMany(status => status).ToList();
        Assert.Equal(count, statuses.Count(status => status == "created"));
        Assert.Equal(items.Count - count, statuses.Count(status => status == "duplicate"));
    }

    /// <summary>All linked, each cluster's total equal to its distinct reports, the outbox all PUBLISHED, nothing dead-lettered.</summary>
    public async Task AssertEachCountedOnceAsync(TimeSpan timeout)
    {
        await using var dataSource = NpgsqlDataSource.Create((await app.GetConnectionStringAsync("authdb"))!);
        await Eventually.HoldsAsync($"all {count} events of run {Run} linked", async () =>
        {
            await using var db = await dataSource.OpenConnectionAsync(Ct);
            return await db.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE request_id LIKE @prefix AND status = 'LINKED'", new { prefix = Prefix + "%" }) == count;
        }, timeout);

        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        var clusters = (await connection.QueryAsync<(string Key, long Total)>(
            "SELECT cluster_key, total_count FROM auth_error_cluster WHERE cluster_key IN (SELECT stack_hash FROM auth_error WHERE request_id LIKE @prefix)",
            new { prefix = Prefix + "%" })).ToList();
        Assert.Equal(variants, clusters.Count);
        Assert.Equal(count, clusters.Sum(c => c.Total));
        Assert.Equal(count, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM auth_error_cluster_item WHERE auth_error_id IN (SELECT id FROM auth_error WHERE request_id LIKE @prefix)", new { prefix = Prefix + "%" }));
        Assert.Equal(count, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM outbox_message WHERE status = 'PUBLISHED' AND aggregate_id IN (SELECT id::text FROM auth_error WHERE request_id LIKE @prefix)", new { prefix = Prefix + "%" }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM dead_letter_message"));
    }

    private sealed record BatchResponse(List<BatchResult> Results);

    private sealed record BatchResult(string Status);
}

using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Clusters;

/// <summary>
/// DESIGN §9 <c>GET /api/clusters</c> and <c>GET /api/clusters/{id}</c>: each sort and direction
/// with ties broken by id, 0-based paging, the detail's recent items, and refusals. Each test
/// writes its own clusters into its own database.
/// </summary>
public sealed class ClustersApiTests(InfrastructureFixture infrastructure)
{
    private static readonly DateTimeOffset Base = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_sort_and_direction_orders_the_clusters_with_ties_broken_by_id()
    {
        await using var ingest = await StartAsync();
        // Ties on every key: total 5 (twice) and 9 (twice), first seen +1h (twice), last seen +10h (twice).
        var seeds = new List<Seed>
        {
            await InsertClusterAsync(ingest, totalCount: 5, first: Base.AddHours(1), last: Base.AddHours(10)),
            await InsertClusterAsync(ingest, totalCount: 5, first: Base.AddHours(1), last: Base.AddHours(12)),
            await InsertClusterAsync(ingest, totalCount: 9, first: Base, last: Base.AddHours(10)),
            await InsertClusterAsync(ingest, totalCount: 1, first: Base.AddHours(3), last: Base.AddHours(11)),
            await InsertClusterAsync(ingest, totalCount: 9, first: Base.AddHours(2), last: Base.AddHours(13)),
        };
        var client = ingest.CreateClient();

        foreach (var (sort, key) in new (string, Func<Seed, long>)[]
        {
            ("lastSeenAt", s => s.LastSeenAt.UtcTicks),
            ("totalCount", s => s.TotalCount),
            ("firstSeenAt", s => s.FirstSeenAt.UtcTicks),
        })
        {
            var ascending = seeds.OrderBy(key).ThenBy(s => s.Id).Select(s => s.Id);
            var descending = seeds.OrderByDescending(key).ThenByDescending(s => s.Id).Select(s => s.Id);
            Assert.Equal(Describe(sort, "asc", ascending), Describe(sort, "asc", await IdsAsync(client, $"?sort={sort}&direction=asc")));
            Assert.Equal(Describe(sort, "desc", descending), Describe(sort, "desc", await IdsAsync(client, $"?sort={sort}&direction=desc")));
        }

        var byLastSeenDescending = seeds.OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.Id).Select(s => s.Id);
        Assert.Equal(Describe("default", "", byLastSeenDescending), Describe("default", "", await IdsAsync(client, "")));
        Assert.Equal(Describe("lastSeenAt", "(no direction)", byLastSeenDescending), Describe("lastSeenAt", "(no direction)", await IdsAsync(client, "?sort=lastSeenAt")));
        var byTotalAscending = seeds.OrderBy(s => s.TotalCount).ThenBy(s => s.Id).Select(s => s.Id);
        Assert.Equal(Describe("TOTALCOUNT", "ASC", byTotalAscending), Describe("TOTALCOUNT", "ASC", await IdsAsync(client, "?sort=TOTALCOUNT&direction=ASC")));
    }

    [Fact]
    public async Task A_list_item_carries_the_contract_fields()
    {
        await using var ingest = await StartAsync();
        var seed = await InsertClusterAsync(ingest, totalCount: 42, first: Base, last: Base.AddMinutes(90), status: "MUTED");

        var page = await ingest.CreateClient().GetFromJsonAsync<JsonElement>("/api/clusters", Ct);

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(
            ["clusterId", "clusterKey", "status", "title", "totalCount", "firstSeenAt", "lastSeenAt"],
            item.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(seed.Id, item.GetProperty("clusterId").GetInt64());
        Assert.Equal(seed.Key, item.GetProperty("clusterKey").GetString());
        Assert.Equal("MUTED", item.GetProperty("status").GetString());
        Assert.Equal(seed.Title, item.GetProperty("title").GetString());
        Assert.Equal(42, item.GetProperty("totalCount").GetInt64());
        Assert.Equal(Base, item.GetProperty("firstSeenAt").GetDateTimeOffset());
        Assert.Equal(Base.AddMinutes(90), item.GetProperty("lastSeenAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Pages_are_zero_based_and_cover_every_cluster_once_with_a_partial_last_page()
    {
        await using var ingest = await StartAsync();
        var seeds = new List<Seed>();
        for (var i = 0; i < 45; i++)
        {
            // Only three distinct last-seen times: paging must stay stable across ties.
            seeds.Add(await InsertClusterAsync(ingest, totalCount: i, first: Base, last: Base.AddHours(i % 3)));
        }

        var client = ingest.CreateClient();

        var pages = new List<JsonElement>();
        for (var page = 0; page <= 3; page++)
        {
            pages.Add(await client.GetFromJsonAsync<JsonElement>($"/api/clusters?page={page}", Ct));
        }

        Assert.Equal([20, 20, 5, 0], pages.Select(p => p.GetProperty("items").GetArrayLength()));
        Assert.All(pages, p =>
        {
            Assert.Equal(20, p.GetProperty("size").GetInt32());
            Assert.Equal(45, p.GetProperty("totalElements").GetInt64());
            Assert.Equal(3, p.GetProperty("totalPages").GetInt64());
        });
        Assert.Equal([0, 1, 2, 3], pages.Select(p => p.GetProperty("page").GetInt32()));
        var expected = seeds.OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.Id).Select(s => s.Id);
        Assert.Equal(expected, pages.SelectMany(p => p.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("clusterId").GetInt64()));

        var exact = await client.GetFromJsonAsync<JsonElement>("/api/clusters?size=15&page=2", Ct);
        Assert.Equal((15, 45L, 3L), (exact.GetProperty("items").GetArrayLength(), exact.GetProperty("totalElements").GetInt64(), exact.GetProperty("totalPages").GetInt64()));
        var largest = await client.GetFromJsonAsync<JsonElement>("/api/clusters?size=200", Ct);
        Assert.Equal((45, 200, 1L), (largest.GetProperty("items").GetArrayLength(), largest.GetProperty("size").GetInt32(), largest.GetProperty("totalPages").GetInt64()));
    }

    [Fact]
    public async Task No_clusters_is_an_empty_first_page_with_no_pages()
    {
        await using var ingest = await StartAsync();

        var page = await ingest.CreateClient().GetFromJsonAsync<JsonElement>("/api/clusters", Ct);

        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
        Assert.Equal((0, 20, 0L, 0L), (page.GetProperty("page").GetInt32(), page.GetProperty("size").GetInt32(),
            page.GetProperty("totalElements").GetInt64(), page.GetProperty("totalPages").GetInt64()));
    }

    [Fact]
    public async Task The_detail_shows_the_sample_and_the_twenty_most_recently_linked_errors_newest_first()
    {
        await using var ingest = await StartAsync();
        var cluster = await InsertClusterAsync(ingest, totalCount: 25, first: Base, last: Base.AddHours(1));
        var other = await InsertClusterAsync(ingest, totalCount: 1, first: Base, last: Base.AddHours(2));
        var items = await InsertItemsAsync(ingest, cluster, 25);
        await InsertItemsAsync(ingest, other, 1);

        var detail = await ingest.CreateClient().GetFromJsonAsync<JsonElement>($"/api/clusters/{cluster.Id}", Ct);

        Assert.Equal(cluster.Id, detail.GetProperty("clusterId").GetInt64());
        Assert.Equal(cluster.Key, detail.GetProperty("clusterKey").GetString());
        Assert.Equal("OPEN", detail.GetProperty("status").GetString());
        Assert.Equal(cluster.Title, detail.GetProperty("title").GetString());
        Assert.Equal(25, detail.GetProperty("totalCount").GetInt64());
        Assert.Equal(Base, detail.GetProperty("firstSeenAt").GetDateTimeOffset());
        Assert.Equal(Base.AddHours(1), detail.GetProperty("lastSeenAt").GetDateTimeOffset());
        Assert.Equal("TOKEN_EXPIRED", detail.GetProperty("errorType").GetString());
        Assert.Equal("LOW", detail.GetProperty("severity").GetString());
        Assert.Equal("Acme.Auth.InvalidTokenException", detail.GetProperty("sampleExceptionClass").GetString());
        Assert.Equal("token expired", detail.GetProperty("sampleExceptionMessage").GetString());

        var recent = detail.GetProperty("recentItems").EnumerateArray().ToList();
        var expected = items.OrderByDescending(i => i.LinkedAt).Take(20).ToList();
        Assert.Equal(expected.Select(i => i.AuthErrorId), recent.Select(i => i.GetProperty("authErrorId").GetInt64()));
        Assert.Equal(expected.Select(i => i.LinkedAt), recent.Select(i => i.GetProperty("linkedAt").GetDateTimeOffset()));
        var newest = recent[0];
        Assert.Equal(expected[0].OccurredAt, newest.GetProperty("occurredAt").GetDateTimeOffset());
        Assert.Equal("login-api", newest.GetProperty("sourceService").GetString());
        Assert.Equal("TOKEN_EXPIRED", newest.GetProperty("errorType").GetString());
        Assert.Equal(expected[0].HttpStatus, newest.GetProperty("httpStatus").GetInt32());
        Assert.Equal(expected[0].ExceptionMessage, newest.GetProperty("exceptionMessage").GetString());
    }

    [Fact]
    public async Task An_unknown_cluster_is_404_no_key_is_401_and_a_wrong_key_403()
    {
        await using var ingest = await StartAsync();
        var cluster = await InsertClusterAsync(ingest, totalCount: 1, first: Base, last: Base);

        using var missing = await ingest.CreateClient().GetAsync("/api/clusters/999999999", Ct);
        using var anonymousList = await ingest.CreateClient(apiKey: null).GetAsync("/api/clusters", Ct);
        using var anonymousDetail = await ingest.CreateClient(apiKey: null).GetAsync($"/api/clusters/{cluster.Id}", Ct);
        using var wrongKey = await ingest.CreateClient(apiKey: "not-the-key").GetAsync("/api/clusters", Ct);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousList.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousDetail.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongKey.StatusCode);
    }

    [Theory]
    [InlineData("sort=name", "sort")]
    [InlineData("sort=", "sort")]
    [InlineData("sort=last_seen_at", "sort")]
    [InlineData("sort=lastSeenAt;DROP TABLE auth_error_cluster", "sort")]
    [InlineData("direction=up", "direction")]
    [InlineData("direction=1", "direction")]
    [InlineData("page=-1", "page")]
    [InlineData("page=abc", "page")]
    [InlineData("page=1.5", "page")]
    [InlineData("page=99999999999", "page")]
    [InlineData("size=0", "size")]
    [InlineData("size=201", "size")]
    [InlineData("size=-5", "size")]
    [InlineData("size=ten", "size")]
    public async Task A_bad_query_parameter_is_a_400_problem_naming_it(string query, string parameter)
    {
        await using var ingest = await StartAsync(nameof(A_bad_query_parameter_is_a_400_problem_naming_it));

        using var response = await ingest.CreateClient().GetAsync($"/api/clusters?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal([parameter], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Several_bad_query_parameters_are_all_named()
    {
        await using var ingest = await StartAsync(nameof(A_bad_query_parameter_is_a_400_problem_naming_it));

        using var response = await ingest.CreateClient().GetAsync("/api/clusters?sort=x&direction=y&page=z&size=0", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(["direction", "page", "size", "sort"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    private Task<IngestHost> StartAsync([CallerMemberName] string owner = "") => IngestHost.StartAsync(infrastructure, $"{nameof(ClustersApiTests)}{owner}");

    private static string Describe(string sort, string direction, IEnumerable<long> ids) => $"{sort} {direction}: {string.Join(", ", ids)}";

    private static async Task<IReadOnlyList<long>> IdsAsync(HttpClient client, string query)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"/api/clusters{query}", Ct);
        return page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("clusterId").GetInt64()).ToList();
    }

    private sealed record Seed(long Id, string Key, string Title, long TotalCount, DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt);

    private sealed record Item(long AuthErrorId, DateTimeOffset OccurredAt, DateTimeOffset LinkedAt, int HttpStatus, string ExceptionMessage);

    private static async Task<Seed> InsertClusterAsync(IngestHost ingest, long totalCount, DateTimeOffset first, DateTimeOffset last, string status = "OPEN")
    {
        const string sql = """
            INSERT INTO auth_error_cluster (cluster_key, title, status, total_count, first_seen_at, last_seen_at, fingerprint_version,
                                            error_type, severity, sample_exception_class, sample_exception_message, sample_source_service)
            VALUES (@Key, @Title, @Status, @TotalCount, @First, @Last, 1, 'TOKEN_EXPIRED', 'LOW',
                    'Acme.Auth.InvalidTokenException', 'token expired', 'login-api')
            RETURNING id
            """;
        var key = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var title = $"InvalidTokenException at Variant{key[..6]}.Validate";
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        var id = await db.ExecuteScalarAsync<long>(new CommandDefinition(sql,
            new { Key = key, Title = title, Status = status, TotalCount = totalCount, First = first, Last = last }, cancellationToken: Ct));
        return new Seed(id, key, title, totalCount, first, last);
    }

    /// <summary>auth_error rows linked to <paramref name="cluster"/>, with link times in an order unlike their ids.</summary>
    private static async Task<IReadOnlyList<Item>> InsertItemsAsync(IngestHost ingest, Seed cluster, int count)
    {
        const string insertErrors = """
            INSERT INTO auth_error (request_id, event_id, request_hash, occurred_at, http_status, error_type, severity,
                                    exception_class, exception_message, source_service, stacktrace, stack_hash, fingerprint_version)
            SELECT 'req-' || gen_random_uuid(), gen_random_uuid(), repeat('0', 64), @Base + make_interval(mins => g), 400 + g % 3,
                   'TOKEN_EXPIRED', 'LOW', 'Acme.Auth.InvalidTokenException', 'token expired #' || g, 'login-api',
                   'at Acme.Auth.TokenValidator.Validate()', @Key, 1
            FROM generate_series(1, @Count) AS g
            ORDER BY g
            RETURNING id, occurred_at, http_status, exception_message
            """;
        const string link = """
            INSERT INTO auth_error_cluster_item (cluster_id, auth_error_id, linked_at)
            SELECT @ClusterId, id, linked_at FROM unnest(@Ids, @LinkedAt) AS l(id, linked_at)
            """;
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        var errors = (await db.QueryAsync<(long Id, DateTime OccurredAt, short HttpStatus, string ExceptionMessage)>(new CommandDefinition(
            insertErrors, new { Base, cluster.Key, Count = count }, cancellationToken: Ct))).OrderBy(e => e.Id).ToList();
        // 7 and 25 are coprime: (i * 7) % count permutes the link times, so id order and link order differ.
        var items = errors.Select((e, i) => new Item(e.Id, new DateTimeOffset(e.OccurredAt, TimeSpan.Zero),
            Base.AddDays(1).AddSeconds(i * 7 % count), e.HttpStatus, e.ExceptionMessage)).ToList();
        await db.ExecuteAsync(new CommandDefinition(link, new
        {
            ClusterId = cluster.Id,
            Ids = items.Select(i => i.AuthErrorId).ToArray(),
            LinkedAt = items.Select(i => i.LinkedAt).ToArray(),
        }, cancellationToken: Ct));
        return items;
    }
}

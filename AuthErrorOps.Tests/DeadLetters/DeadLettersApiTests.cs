using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AuthErrorOps.Core.DeadLetters;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using RabbitMQ.Client;
using Xunit;

namespace AuthErrorOps.Tests.DeadLetters;

/// <summary>
/// The dead-letter ledger (what the consumer's DLQ drainer records) and the ops API over it:
/// <c>GET /api/ops/dead-letters</c> and <c>POST /api/ops/dead-letters/{id}/replay</c>, whose
/// publish is read back from <c>auth.error.recorded.q</c> in the test's own vhost.
/// </summary>
public sealed class DeadLettersApiTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_repeated_dead_letter_is_one_row_counting_its_deliveries_and_no_longer_replayed()
    {
        await using var ingest = await StartAsync();
        var ledger = new DeadLetterLedger(ingest.DataSource);
        var eventId = Guid.NewGuid();

        await ledger.UpsertAsync(Record(eventId, reason: "retries_exhausted", error: "first failure"), Ct);
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        await db.ExecuteAsync("UPDATE dead_letter_message SET replay_status = 'REPLAYED', replay_count = 1, first_seen_at = now() - interval '1 hour'");
        await ledger.UpsertAsync(Record(eventId, reason: "delivery_limit", error: "second failure", retryCount: 3), Ct);

        var row = await db.QuerySingleAsync<(int DeliveryCount, string Reason, string Error, int RetryCount, string ReplayStatus, int ReplayCount, bool Later)>(
            "SELECT delivery_count, reason, error, retry_count, replay_status, replay_count, last_seen_at > first_seen_at FROM dead_letter_message");
        Assert.Equal((2, "delivery_limit", "second failure", 3, "NONE", 1, true), row);
    }

    [Fact]
    public async Task The_list_is_newest_first_filters_by_reason_and_pages_from_zero()
    {
        await using var ingest = await StartAsync();
        var ledger = new DeadLetterLedger(ingest.DataSource);
        var exhausted = new List<Guid>();
        var malformed = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            exhausted.Add(Guid.NewGuid());
            await ledger.UpsertAsync(Record(exhausted[^1], reason: "retries_exhausted"), Ct);
        }

        for (var i = 0; i < 3; i++)
        {
            malformed.Add(Guid.NewGuid());
            await ledger.UpsertAsync(Record(malformed[^1], reason: "malformed"), Ct);
        }

        // Seen in an order unlike insertion: row n was last seen n * 7 mod 8 minutes ago.
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        await db.ExecuteAsync("""
            UPDATE dead_letter_message SET last_seen_at = now() - make_interval(mins => ((id * 7) % 8)::int), first_seen_at = now() - interval '1 day'
            """);
        var newestFirst = (await db.QueryAsync<(long Id, Guid EventId, string Reason)>(
            "SELECT id, event_id, reason FROM dead_letter_message ORDER BY last_seen_at DESC, id DESC")).ToList();
        var client = ingest.CreateClient();

        var all = await client.GetFromJsonAsync<JsonElement>("/api/ops/dead-letters", Ct);
        var onlyMalformed = await client.GetFromJsonAsync<JsonElement>("/api/ops/dead-letters?reason=malformed", Ct);
        var secondPage = await client.GetFromJsonAsync<JsonElement>("/api/ops/dead-letters?page=1&size=3", Ct);
        var lastPage = await client.GetFromJsonAsync<JsonElement>("/api/ops/dead-letters?page=2&size=3", Ct);

        Assert.Equal(newestFirst.Select(r => r.Id), Ids(all));
        Assert.Equal((0, 20, 8L, 1L), Paging(all));
        Assert.Equal(newestFirst.Where(r => r.Reason == "malformed").Select(r => r.Id), Ids(onlyMalformed));
        Assert.Equal((0, 20, 3L, 1L), Paging(onlyMalformed));
        Assert.Equal(newestFirst.Skip(3).Take(3).Select(r => r.Id), Ids(secondPage));
        Assert.Equal((1, 3, 8L, 3L), Paging(secondPage));
        Assert.Equal(newestFirst.Skip(6).Select(r => r.Id), Ids(lastPage));

        var item = all.GetProperty("items")[0];
        Assert.Equal(
            ["id", "eventId", "reason", "lastError", "deliveryCount", "firstSeenAt", "lastSeenAt", "replayStatus"],
            item.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(newestFirst[0].EventId, item.GetProperty("eventId").GetGuid());
        Assert.Equal(newestFirst[0].Reason, item.GetProperty("reason").GetString());
        Assert.Equal("boom", item.GetProperty("lastError").GetString());
        Assert.Equal(1, item.GetProperty("deliveryCount").GetInt32());
        Assert.Equal("NONE", item.GetProperty("replayStatus").GetString());
        Assert.True(item.GetProperty("lastSeenAt").GetDateTimeOffset() > item.GetProperty("firstSeenAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("page=-1", "page")]
    [InlineData("page=x", "page")]
    [InlineData("size=0", "size")]
    [InlineData("size=201", "size")]
    public async Task A_bad_paging_parameter_is_a_400_problem_naming_it(string query, string parameter)
    {
        await using var ingest = await StartAsync();

        using var response = await ingest.CreateClient().GetAsync($"/api/ops/dead-letters?{query}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal([parameter], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task A_replay_publishes_the_stored_event_with_confirms_and_records_it_each_time()
    {
        await using var ingest = await StartAsync();
        var eventId = Guid.NewGuid();
        var payload = $$"""{"eventId":"{{eventId}}","authErrorId":7,"requestId":"req-7","stackHash":"{{new string('a', 64)}}"}""";
        var id = await InsertAsync(ingest, Record(eventId, payload: payload));
        var client = ingest.CreateClient();
        await using var connection = await new ConnectionFactory { Uri = new Uri(await infrastructure.VirtualHostAsync(Owner())) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);

        using var first = await client.PostAsync($"/api/ops/dead-letters/{id}/replay", null, Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var state = await first.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((id, "REPLAYED", 1), (state.GetProperty("id").GetInt64(), state.GetProperty("replayStatus").GetString(), state.GetProperty("replayCount").GetInt32()));

        // Confirmed before the response: the message is already in the queue.
        var message = await channel.BasicGetAsync(AuthErrorTopology.RecordedQueue, autoAck: true, Ct);
        Assert.NotNull(message);
        Assert.Equal(eventId.ToString(), message.BasicProperties.MessageId);
        Assert.Equal(AuthErrorTopology.RecordedEventType, message.BasicProperties.Type);
        Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
        Assert.Equal(AuthErrorTopology.RecordedEventType, message.RoutingKey);
        Assert.Equal(payload, Encoding.UTF8.GetString(message.Body.Span));

        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        var row = await db.QuerySingleAsync<(string ReplayStatus, int ReplayCount, bool Replayed)>(
            "SELECT replay_status, replay_count, replayed_at IS NOT NULL FROM dead_letter_message WHERE id = @id", new { id });
        Assert.Equal(("REPLAYED", 1, true), row);

        using var second = await client.PostAsync($"/api/ops/dead-letters/{id}/replay", null, Ct);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, (await second.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("replayCount").GetInt32());
        var again = await channel.BasicGetAsync(AuthErrorTopology.RecordedQueue, autoAck: true, Ct);
        Assert.NotNull(again);
        Assert.Equal(eventId.ToString(), again.BasicProperties.MessageId);
        Assert.Equal(payload, Encoding.UTF8.GetString(again.Body.Span));
        Assert.Equal(("REPLAYED", 2), await db.QuerySingleAsync<(string, int)>(
            "SELECT replay_status, replay_count FROM dead_letter_message WHERE id = @id", new { id }));
        Assert.Null(await channel.BasicGetAsync(AuthErrorTopology.RecordedQueue, autoAck: true, Ct));

        var listed = await client.GetFromJsonAsync<JsonElement>("/api/ops/dead-letters", Ct);
        Assert.Equal("REPLAYED", listed.GetProperty("items")[0].GetProperty("replayStatus").GetString());
    }

    [Fact]
    public async Task A_dead_letter_without_an_event_type_is_replayed_as_the_recorded_event()
    {
        await using var ingest = await StartAsync();
        var eventId = Guid.NewGuid();
        var id = await InsertAsync(ingest, Record(eventId) with { EventType = null });
        await using var connection = await new ConnectionFactory { Uri = new Uri(await infrastructure.VirtualHostAsync(Owner())) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);

        using var response = await ingest.CreateClient().PostAsync($"/api/ops/dead-letters/{id}/replay", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await channel.BasicGetAsync(AuthErrorTopology.RecordedQueue, autoAck: true, Ct);
        Assert.NotNull(message);
        Assert.Equal((eventId.ToString(), AuthErrorTopology.RecordedEventType), (message.BasicProperties.MessageId, message.BasicProperties.Type));
    }

    [Fact]
    public async Task An_unroutable_replay_is_a_503_problem_and_marks_the_row_failed()
    {
        await using var ingest = await StartAsync();
        var id = await InsertAsync(ingest, Record(Guid.NewGuid()) with { EventType = "auth.error.unknown.v9" });

        using var response = await ingest.CreateClient().PostAsync($"/api/ops/dead-letters/{id}/replay", null, Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("unroutable", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(("FAILED", 0), await db.QuerySingleAsync<(string, int)>(
            "SELECT replay_status, replay_count FROM dead_letter_message WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Replaying_an_unknown_or_unreplayable_dead_letter_is_refused_and_no_key_is_401()
    {
        await using var ingest = await StartAsync();
        var noPayload = await InsertAsync(ingest, Record(Guid.NewGuid()) with { Payload = null });
        var noEventId = await InsertAsync(ingest, new DeadLetterRecord(new string('f', 64), null, null, "malformed", "bad JSON", "{not json", null, 0));
        var replayable = await InsertAsync(ingest, Record(Guid.NewGuid()));
        var client = ingest.CreateClient();

        using var missing = await client.PostAsync("/api/ops/dead-letters/999999999/replay", null, Ct);
        using var withoutPayload = await client.PostAsync($"/api/ops/dead-letters/{noPayload}/replay", null, Ct);
        using var withoutEventId = await client.PostAsync($"/api/ops/dead-letters/{noEventId}/replay", null, Ct);
        using var anonymousReplay = await ingest.CreateClient(apiKey: null).PostAsync($"/api/ops/dead-letters/{replayable}/replay", null, Ct);
        using var anonymousList = await ingest.CreateClient(apiKey: null).GetAsync("/api/ops/dead-letters", Ct);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, withoutPayload.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, withoutEventId.StatusCode);
        Assert.Equal("application/problem+json", withoutEventId.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousReplay.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousList.StatusCode);
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM dead_letter_message WHERE replay_status <> 'NONE' OR replay_count <> 0"));
    }

    private static string Owner([CallerMemberName] string test = "") => $"{nameof(DeadLettersApiTests)}{test}";

    private Task<IngestHost> StartAsync([CallerMemberName] string test = "") => IngestHost.StartAsync(infrastructure, Owner(test));

    private static DeadLetterRecord Record(Guid eventId, string reason = "retries_exhausted", string error = "boom", string? payload = null, int retryCount = 1) =>
        new(eventId.ToString(), eventId, AuthErrorTopology.RecordedEventType, reason, error,
            payload ?? $$"""{"eventId":"{{eventId}}","authErrorId":1}""", """{"x-retry-count":1}""", retryCount);

    private static async Task<long> InsertAsync(IngestHost ingest, DeadLetterRecord record)
    {
        await new DeadLetterLedger(ingest.DataSource).UpsertAsync(record, Ct);
        await using var db = await ingest.DataSource.OpenConnectionAsync(Ct);
        return await db.ExecuteScalarAsync<long>("SELECT id FROM dead_letter_message WHERE message_key = @MessageKey", new { record.MessageKey });
    }

    private static IEnumerable<long> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64());

    private static (int Page, int Size, long TotalElements, long TotalPages) Paging(JsonElement page) =>
        (page.GetProperty("page").GetInt32(), page.GetProperty("size").GetInt32(), page.GetProperty("totalElements").GetInt64(), page.GetProperty("totalPages").GetInt64());
}

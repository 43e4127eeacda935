using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Core.Outbox;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

public sealed class IngestApiTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private IngestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await IngestHost.StartAsync(infrastructure, nameof(IngestApiTests));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_report_is_stored_with_its_pending_outbox_event_and_202()
    {
        var body = AuthErrorSamples.Valid();
        using var response = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ids = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var authErrorId = ids.GetProperty("authErrorId").GetInt64();
        var eventId = ids.GetProperty("eventId").GetGuid();
        var stackHash = ids.GetProperty("stackHash").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", stackHash);
        Assert.Equal($"/api/auth-errors/{authErrorId}", response.Headers.Location?.ToString());

        await using var connection = await _host.DataSource.OpenConnectionAsync(Ct);
        var row = await connection.QuerySingleAsync<(string Status, string ErrorType, string Severity, string StackHash, Guid EventId)>(
            "SELECT status, error_type, severity, stack_hash, event_id FROM auth_error WHERE id = @authErrorId", new { authErrorId });
        Assert.Equal(("RECEIVED", "TOKEN_EXPIRED", "LOW", stackHash, eventId), row);

        var outbox = await connection.QuerySingleAsync<(string Status, int Attempts, string EventType, string AggregateId, string Payload)>(
            "SELECT status, attempts, event_type, aggregate_id, payload::text FROM outbox_message WHERE event_id = @eventId", new { eventId });
        Assert.Equal(("PENDING", 0, "auth.error.recorded.v1", authErrorId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (outbox.Status, outbox.Attempts, outbox.EventType, outbox.AggregateId));
        var payload = JsonDocument.Parse(outbox.Payload).RootElement;
        Assert.Equal(authErrorId, payload.GetProperty("authErrorId").GetInt64());
        Assert.Equal(eventId, payload.GetProperty("eventId").GetGuid());
    }

    [Fact]
    public async Task The_stored_error_is_readable_with_hashed_identifiers_and_its_pipeline_state()
    {
        using var created = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", AuthErrorSamples.Valid());
        var authErrorId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("authErrorId").GetInt64();

        var details = await _host.CreateClient().GetFromJsonAsync<JsonElement>($"/api/auth-errors/{authErrorId}", Ct);

        Assert.Equal("Acme.Auth.InvalidTokenException", details.GetProperty("exceptionClass").GetString());
        Assert.Equal("Chrome", details.GetProperty("userAgentFamily").GetString());
        Assert.Matches("^[0-9a-f]{64}$", details.GetProperty("principalHash").GetString()!);
        Assert.Matches("^[0-9a-f]{64}$", details.GetProperty("ipHash").GetString()!);
        Assert.Equal("acme", details.GetProperty("attributes").GetProperty("tenant").GetString());
        var pipeline = details.GetProperty("pipeline");
        Assert.Equal("RECEIVED", pipeline.GetProperty("status").GetString());
        Assert.Equal("PENDING", pipeline.GetProperty("outboxStatus").GetString());
        Assert.Equal(0, pipeline.GetProperty("outboxAttempts").GetInt32());

        using var missing = await _host.CreateClient().GetAsync("/api/auth-errors/999999999", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_same_request_again_returns_the_same_ids_with_200_and_a_different_body_409()
    {
        var body = AuthErrorSamples.Valid();
        var client = _host.CreateClient();
        using var first = await IngestHost.PostJsonAsync(client, "/api/auth-errors", body);
        using var again = await IngestHost.PostJsonAsync(client, "/api/auth-errors", body);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await again.Content.ReadAsStringAsync(Ct));

        body["httpStatus"] = 403;
        using var conflicting = await IngestHost.PostJsonAsync(client, "/api/auth-errors", body);
        Assert.Equal(HttpStatusCode.Conflict, conflicting.StatusCode);
        Assert.Equal("application/problem+json", conflicting.Content.Headers.ContentType?.MediaType);

        await using var connection = await _host.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE request_id = @id", new { id = body["requestId"] }));
    }

    [Fact]
    public async Task Fifty_concurrent_identical_requests_store_one_row_pair_and_never_fail()
    {
        var body = JsonSerializer.Serialize(AuthErrorSamples.Valid());
        var client = _host.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            using var response = await client.PostAsync("/api/auth-errors", IngestHost.Json(body), Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }, Ct)));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{r.StatusCode}: {r.Body}"));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Single(responses.Select(r => r.Body).Distinct());

        var requestId = JsonDocument.Parse(body).RootElement.GetProperty("requestId").GetString();
        await using var connection = await _host.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM auth_error WHERE request_id = @requestId", new { requestId }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM outbox_message o JOIN auth_error a ON a.event_id = o.event_id WHERE a.request_id = @requestId", new { requestId }));
    }

    [Fact]
    public async Task An_unknown_error_type_is_stored_as_unknown_auth_error()
    {
        var body = AuthErrorSamples.Valid();
        body["errorType"] = "SOMETHING_NEW";
        using var response = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", body);
        var authErrorId = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("authErrorId").GetInt64();

        await using var connection = await _host.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal("UNKNOWN_AUTH_ERROR", await connection.ExecuteScalarAsync<string>("SELECT error_type FROM auth_error WHERE id = @authErrorId", new { authErrorId }));
    }

    [Fact]
    public async Task Writes_need_an_api_key_401_without_403_with_a_wrong_one_and_health_stays_open()
    {
        using var anonymous = await IngestHost.PostJsonAsync(_host.CreateClient(apiKey: null), "/api/auth-errors", AuthErrorSamples.Valid());
        using var wrongKey = await IngestHost.PostJsonAsync(_host.CreateClient(apiKey: "not-a-key"), "/api/auth-errors", AuthErrorSamples.Valid());
        using var read = await _host.CreateClient(apiKey: null).GetAsync("/api/auth-errors/1", Ct);
        using var health = await _host.CreateClient(apiKey: null).GetAsync("/health", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, wrongKey.StatusCode);
        Assert.Equal("application/problem+json", wrongKey.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_new_row_notifies_the_relay_channel()
    {
        await using var listener = await _host.DataSource.OpenConnectionAsync(Ct);
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => notified.TrySetResult(e.Channel);
        await using (var listen = new NpgsqlCommand($"LISTEN {OutboxChannel.Name}", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        using var response = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", AuthErrorSamples.Valid());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await listener.WaitAsync(timeout.Token);
        Assert.Equal(OutboxChannel.Name, await notified.Task.WaitAsync(TimeSpan.FromSeconds(1), Ct));
    }

    [Fact]
    public async Task A_burst_of_writes_wakes_the_relay_with_coalesced_notifications_outside_the_write()
    {
        await using var listener = await _host.DataSource.OpenConnectionAsync(Ct);
        var notifications = 0;
        listener.Notification += (_, _) => Interlocked.Increment(ref notifications);
        await using (var listen = new NpgsqlCommand($"LISTEN {OutboxChannel.Name}", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        const int posts = 200;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, posts), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (_, ct) =>
        {
            using var response = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", AuthErrorSamples.Valid());
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        });
        started.Stop();

        // Drain what was sent: the last NOTIFY follows the last commit by at most one gap and a round trip.
        while (await listener.WaitAsync(TimeSpan.FromMilliseconds(500), Ct))
        {
        }

        // At least one wake-up, and no more than one per gap (plus the first): not one per row.
        var ceiling = (int)(started.Elapsed / AuthErrorOps.Ingest.Infrastructure.OutboxNotifier.MinimumGap) + 2;
        TestContext.Current.TestOutputHelper?.WriteLine($"{posts} rows in {started.ElapsedMilliseconds} ms: {notifications} notifications (ceiling {ceiling})");
        Assert.InRange(notifications, 1, ceiling);
    }

    [Fact]
    public async Task The_outbox_row_carries_the_request_trace_context()
    {
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        var client = _host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth-errors") { Content = JsonContent.Create(AuthErrorSamples.Valid()) };
        request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        using var response = await client.SendAsync(request, Ct);
        var eventId = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("eventId").GetGuid();

        await using var connection = await _host.DataSource.OpenConnectionAsync(Ct);
        var traceParent = await connection.ExecuteScalarAsync<string>("SELECT trace_parent FROM outbox_message WHERE event_id = @eventId", new { eventId });
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-0[01]$", traceParent!);
    }
}

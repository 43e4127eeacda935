using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

public sealed class IngestBatchTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private IngestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await IngestHost.StartAsync(infrastructure, nameof(IngestBatchTests));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Mixed_items_get_one_result_each_and_only_new_ones_are_stored()
    {
        var client = _host.CreateClient();
        var storedBefore = AuthErrorSamples.Valid();
        var conflictingWithStored = AuthErrorSamples.Valid();
        using (var earlier = await IngestHost.PostJsonAsync(client, "/api/auth-errors", storedBefore))
        using (var other = await IngestHost.PostJsonAsync(client, "/api/auth-errors", conflictingWithStored))
        {
            Assert.Equal(HttpStatusCode.Accepted, earlier.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        }

        var first = AuthErrorSamples.Valid();
        var second = AuthErrorSamples.Valid(stack: "   at Acme.Billing.Charge.Run() in /src/Charge.cs:line 3");
        var missingStatus = AuthErrorSamples.Valid();
        missingStatus.Remove("httpStatus");
        var conflictingWithFirst = new Dictionary<string, object?>(first) { ["httpStatus"] = 500 };
        var changedStored = new Dictionary<string, object?>(conflictingWithStored) { ["exceptionMessage"] = "changed" };
        object?[] items = [first, missingStatus, second, first, conflictingWithFirst, storedBefore, changedStored, "not an object"];
        var authErrorsBefore = await _host.CountAsync("auth_error");
        var outboxBefore = await _host.CountAsync("outbox_message");

        using var response = await IngestHost.PostJsonAsync(client, "/api/auth-errors/batch", new { items });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("results")
            .EnumerateArray().ToArray();
        Assert.Equal(["created", "invalid", "created", "duplicate", "invalid", "duplicate", "invalid", "invalid"],
            results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(Enumerable.Range(0, items.Length), results.Select(r => r.GetProperty("index").GetInt32()));
        Assert.True(results[1].GetProperty("errors").TryGetProperty("httpStatus", out _));
        Assert.True(results[4].GetProperty("errors").TryGetProperty("requestId", out _));
        Assert.Equal(results[0].GetProperty("authErrorId").GetInt64(), results[3].GetProperty("authErrorId").GetInt64());
        Assert.Equal(results[0].GetProperty("eventId").GetGuid(), results[3].GetProperty("eventId").GetGuid());

        Assert.Equal(authErrorsBefore + 2, await _host.CountAsync("auth_error"));
        Assert.Equal(outboxBefore + 2, await _host.CountAsync("outbox_message"));
    }

    [Fact]
    public async Task A_batch_repeated_returns_duplicates_with_the_same_ids()
    {
        var client = _host.CreateClient();
        var batch = new { items = Enumerable.Range(0, 20).Select(_ => AuthErrorSamples.Valid()).ToArray() };

        using var first = await IngestHost.PostJsonAsync(client, "/api/auth-errors/batch", batch);
        using var again = await IngestHost.PostJsonAsync(client, "/api/auth-errors/batch", batch);

        var created = (await first.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("results").EnumerateArray().ToArray();
        var repeated = (await again.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("results").EnumerateArray().ToArray();
        Assert.All(created, r => Assert.Equal("created", r.GetProperty("status").GetString()));
        Assert.All(repeated, r => Assert.Equal("duplicate", r.GetProperty("status").GetString()));
        Assert.Equal(created.Select(r => r.GetProperty("authErrorId").GetInt64()), repeated.Select(r => r.GetProperty("authErrorId").GetInt64()));
    }

    // A batch whose items all parse is read in one pass; one null or mistyped item sends it item by item, and only that item fails.
    [Fact]
    public async Task A_null_or_mistyped_item_is_invalid_on_its_own()
    {
        var client = _host.CreateClient();
        var mistyped = AuthErrorSamples.Valid();
        mistyped["httpStatus"] = "401";
        object?[] items = [AuthErrorSamples.Valid(), null, mistyped, AuthErrorSamples.Valid()];

        using var response = await IngestHost.PostJsonAsync(client, "/api/auth-errors/batch", new { items });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("results")
            .EnumerateArray().ToArray();
        Assert.Equal(["created", "invalid", "invalid", "created"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.True(results[1].GetProperty("errors").TryGetProperty("$", out _), results[1].GetProperty("errors").ToString());
        Assert.True(results[2].GetProperty("errors").TryGetProperty("httpStatus", out _), results[2].GetProperty("errors").ToString());
    }
}

using System.Net;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

public sealed class IngestGuardTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Requests_past_the_per_key_rate_get_429_with_retry_after()
    {
        await using var host = await IngestHost.StartAsync(infrastructure, nameof(Requests_past_the_per_key_rate_get_429_with_retry_after),
            new Dictionary<string, string?> { ["Ingest:RateLimitPerSecond"] = "3" });
        var client = host.CreateClient();

        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add(await IngestHost.PostJsonAsync(client, "/api/auth-errors", AuthErrorSamples.Valid()));
        }

        var limited = statuses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(limited.Headers.RetryAfter is not null, "429 carries Retry-After");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(3, statuses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(3, await host.CountAsync("auth_error"));
        statuses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Without_configured_keys_writes_are_refused_with_401()
    {
        await using var host = await IngestHost.StartAsync(infrastructure, nameof(Without_configured_keys_writes_are_refused_with_401),
            new Dictionary<string, string?> { ["Ingest:ApiKeys:0"] = "" });

        using var response = await IngestHost.PostJsonAsync(host.CreateClient(), "/api/auth-errors", AuthErrorSamples.Valid());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Ingest:ApiKeys", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, await host.CountAsync("auth_error"));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_ingest_routes()
    {
        await using var host = await IngestHost.StartAsync(infrastructure, nameof(The_openapi_document_describes_the_ingest_routes));

        var document = await host.CreateClient(apiKey: null).GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);

        Assert.Contains("/api/auth-errors/batch", document, StringComparison.Ordinal);
        Assert.Contains("/api/auth-errors/{id}", document, StringComparison.Ordinal);
    }
}

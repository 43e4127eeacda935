using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

/// <summary>Raw identifiers and secrets never reach a table or a log line.</summary>
public sealed class IngestPrivacyTests(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string UserId = "carol.private@example.org";
    private const string ClientIp = "198.51.100.23";
    private const string Jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    private const string Password = "hunter2-Sup3rSecret";

    private IngestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await IngestHost.StartAsync(infrastructure, nameof(IngestPrivacyTests));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task No_raw_identifier_or_secret_is_stored_or_logged()
    {
        var body = AuthErrorSamples.Valid(
            userId: UserId, clientIp: ClientIp,
            stack: $"   at Acme.Auth.TokenValidator.Validate(String token) in /src/TokenValidator.cs:line 42\n   rejected Bearer {Jwt} for {UserId} from {ClientIp}");
        body["exceptionMessage"] = $"Invalid token {Jwt} for user {UserId} at {ClientIp}";
        body["rootCauseMessage"] = $"Authorization: Bearer {Jwt}";
        body["endpoint"] = $"/login?user={UserId}&password={Password}&next=/home";
        body["attributes"] = new Dictionary<string, object?> { ["password"] = Password, ["note"] = $"seen from {ClientIp}", ["token"] = Jwt };

        using var single = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", body);
        using var batch = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors/batch",
            new { items = new[] { AuthErrorSamples.Valid(userId: UserId, clientIp: ClientIp) } });
        Assert.Equal(HttpStatusCode.Accepted, single.StatusCode);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        var authErrorId = (await single.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("authErrorId").GetInt64();
        var details = await _host.CreateClient().GetStringAsync($"/api/auth-errors/{authErrorId}", TestContext.Current.CancellationToken);

        await using var connection = await _host.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        var everything = string.Join('\n', await connection.QueryAsync<string>("""
            SELECT row_to_json(t)::text FROM auth_error t
            UNION ALL SELECT row_to_json(t)::text FROM outbox_message t
            UNION ALL SELECT row_to_json(t)::text FROM auth_error_cluster t
            UNION ALL SELECT row_to_json(t)::text FROM dead_letter_message t
            """));
        Assert.Contains("<jwt>", everything, StringComparison.Ordinal);

        foreach (var (name, text) in new[] { ("the tables", everything), ("the API's answer", details), ("the logs", string.Join('\n', _host.Logs.Lines)) })
        {
            foreach (var secret in new[] { UserId, ClientIp, Jwt, Password })
            {
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' appears in {name}");
            }
        }
    }

    [Fact]
    public async Task The_same_person_gets_the_same_hash_and_secrets_do_not_split_clusters()
    {
        var withOneToken = AuthErrorSamples.Valid(userId: "Dave@Example.com", clientIp: "::ffff:192.0.2.10",
            stack: $"   at Acme.Auth.TokenValidator.Validate(String token) in /src/A.cs:line 1\n   token was {Jwt}");
        var withAnotherToken = AuthErrorSamples.Valid(userId: "dave@example.com", clientIp: "192.0.2.10",
            stack: "   at Acme.Auth.TokenValidator.Validate(String token) in /src/A.cs:line 9\n   token was eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.c2lnbmF0dXJlLW90aGVyLXRva2VuLXZhbHVl");

        var first = await StoreAsync(withOneToken);
        var second = await StoreAsync(withAnotherToken);

        Assert.Equal(first.GetProperty("principalHash").GetString(), second.GetProperty("principalHash").GetString());
        Assert.Equal(first.GetProperty("ipHash").GetString(), second.GetProperty("ipHash").GetString());
        Assert.Equal(first.GetProperty("stackHash").GetString(), second.GetProperty("stackHash").GetString());
    }

    private async Task<JsonElement> StoreAsync(Dictionary<string, object?> body)
    {
        using var response = await IngestHost.PostJsonAsync(_host.CreateClient(), "/api/auth-errors", body);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("authErrorId").GetInt64();
        return await _host.CreateClient().GetFromJsonAsync<JsonElement>($"/api/auth-errors/{id}", TestContext.Current.CancellationToken);
    }
}

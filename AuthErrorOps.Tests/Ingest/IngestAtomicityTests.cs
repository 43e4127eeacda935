using System.Net;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Ingest;

/// <summary>
/// Failures injected by the database itself (a trigger between the two inserts, a deferred
/// constraint trigger at commit) must leave neither row. Each test owns its database.
/// </summary>
public sealed class IngestAtomicityTests(InfrastructureFixture infrastructure)
{
    private const string FailBetweenInserts = """
        CREATE FUNCTION fail_outbox_insert() RETURNS trigger LANGUAGE plpgsql AS
        'BEGIN RAISE EXCEPTION ''injected failure between the auth_error and outbox_message inserts''; END';
        CREATE TRIGGER fail_outbox_insert BEFORE INSERT ON outbox_message FOR EACH ROW EXECUTE FUNCTION fail_outbox_insert();
        """;

    private const string FailAtCommit = """
        CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS
        'BEGIN RAISE EXCEPTION ''injected failure at commit''; END';
        CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON outbox_message
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_at_commit();
        """;

    [Theory]
    [InlineData(nameof(FailBetweenInserts), "/api/auth-errors")]
    [InlineData(nameof(FailAtCommit), "/api/auth-errors")]
    [InlineData(nameof(FailBetweenInserts), "/api/auth-errors/batch")]
    [InlineData(nameof(FailAtCommit), "/api/auth-errors/batch")]
    public async Task A_failure_inside_the_write_leaves_neither_row(string failure, string path)
    {
        var batch = path.EndsWith("batch", StringComparison.Ordinal);
        await using var host = await IngestHost.StartAsync(infrastructure, $"{nameof(IngestAtomicityTests)}_{failure}_{(batch ? "batch" : "single")}");
        await using (var connection = await host.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken))
        {
            await connection.ExecuteAsync(failure == nameof(FailAtCommit) ? FailAtCommit : FailBetweenInserts);
        }

        object body = batch
            ? new { items = new[] { AuthErrorSamples.Valid(), AuthErrorSamples.Valid() } }
            : AuthErrorSamples.Valid();
        using var response = await IngestHost.PostJsonAsync(host.CreateClient(), path, body);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await host.CountAsync("auth_error"));
        Assert.Equal(0, await host.CountAsync("outbox_message"));
    }
}

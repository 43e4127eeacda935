using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit;

namespace AuthErrorOps.Tests.Bench;

/// <summary>The benchmark's run-sized statements fail with an error that names them when their time runs out.</summary>
public sealed class BoundedQueryTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_statement_that_outlasts_its_timeout_fails_naming_the_statement_and_the_time()
    {
        await using var connection = await OpenAsync();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => BoundedQuery.RunAsync("the three-second sleep", TimeSpan.FromSeconds(1), timeout =>
            connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT pg_sleep(3)::text", commandTimeout: timeout, cancellationToken: Ct))));

        Assert.Equal("the three-second sleep did not finish within 1 s (command timeout).", error.Message);
    }

    [Fact]
    public async Task A_statement_within_its_timeout_returns_its_result()
    {
        await using var connection = await OpenAsync();

        var value = await BoundedQuery.RunAsync("a quick sum", TimeSpan.FromSeconds(30), timeout =>
            connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT sum(g)::bigint FROM generate_series(1, 1000) g", commandTimeout: timeout, cancellationToken: Ct)));

        Assert.Equal(500_500, value);
    }

    // The statements read no table: an empty database, shared by both tests, is enough.
    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(await infrastructure.DatabaseAsync(nameof(BoundedQueryTests)));
        await connection.OpenAsync(Ct);
        return connection;
    }
}

using AuthErrorOps.Bench.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Xunit;

namespace AuthErrorOps.Tests.Bench;

/// <summary>The benchmark's run-sized statements fail with an error that names them when their time runs out.</summary>
public sealed class BoundedQueryTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_statement_that_outlasts_its_timeout_fails_naming_the_statement_and_the_time()
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync(nameof(BoundedQueryTests));
        await using var _ = dataSource;
        await using var connection = await dataSource.OpenConnectionAsync(Ct);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => BoundedQuery.RunAsync("the three-second sleep", TimeSpan.FromSeconds(1), timeout =>
            connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT pg_sleep(3)::text", commandTimeout: timeout, cancellationToken: Ct))));

        Assert.Equal("the three-second sleep did not finish within 1 s (command timeout).", error.Message);
    }

    [Fact]
    public async Task A_statement_within_its_timeout_returns_its_result()
    {
        var (dataSource, _) = await infrastructure.MigratedDatabaseAsync(nameof(BoundedQueryTests) + "Ok");
        await using var _ = dataSource;
        await using var connection = await dataSource.OpenConnectionAsync(Ct);

        var value = await BoundedQuery.RunAsync("a quick sum", TimeSpan.FromSeconds(30), timeout =>
            connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT sum(g)::bigint FROM generate_series(1, 1000) g", commandTimeout: timeout, cancellationToken: Ct)));

        Assert.Equal(500_500, value);
    }
}

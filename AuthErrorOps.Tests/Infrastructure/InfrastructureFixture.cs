using System.Collections.Concurrent;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Core.Persistence;
using AuthErrorOps.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

[assembly: AssemblyFixture(typeof(InfrastructureFixture))]

namespace AuthErrorOps.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL and one RabbitMQ for the whole test run. Test classes isolate themselves by
/// database and virtual host (<see cref="DatabaseAsync"/>, <see cref="VirtualHostAsync"/>),
/// never by restarting servers. Missing binaries fail the run with the install command.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _databases = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _virtualHosts = new();

    public PostgresServer Postgres { get; private set; } = null!;

    public RabbitMqServer RabbitMq { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // Started together: RabbitMQ's ~7 s boot hides PostgreSQL's ~2 s.
        var postgres = PostgresServer.StartAsync(new PostgresServerOptions { Durable = false, MaxConnections = 500 });
        var rabbitMq = RabbitMqServer.StartAsync(new RabbitMqServerOptions());
        try
        {
            Postgres = await postgres;
            RabbitMq = await rabbitMq;
        }
        catch
        {
            await DisposeStartedAsync(postgres, rabbitMq);
            throw;
        }
    }

    /// <summary>Connection string of a migrated-or-empty database owned by <paramref name="owner"/>, created on first use.</summary>
    public Task<string> DatabaseAsync(string owner) =>
        _databases.GetOrAdd(owner, key => new Lazy<Task<string>>(async () =>
        {
            var name = UniqueName(key).ToLowerInvariant();
            await Postgres.CreateDatabaseAsync(name);
            return Postgres.GetConnectionString(name);
        })).Value;

    /// <summary>
    /// <paramref name="owner"/>'s database with the schema applied: a data source (the caller disposes it) and the
    /// connection string for services (the data source's own omits the password).
    /// </summary>
    public async Task<(NpgsqlDataSource DataSource, string ConnectionString)> MigratedDatabaseAsync(string owner)
    {
        var connectionString = await DatabaseAsync(owner);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
        return (dataSource, connectionString);
    }

    /// <summary>AMQP URI of a virtual host owned by <paramref name="owner"/>, created on first use.</summary>
    public Task<string> VirtualHostAsync(string owner) =>
        _virtualHosts.GetOrAdd(owner, key => new Lazy<Task<string>>(async () =>
        {
            var name = UniqueName(key);
            await RabbitMq.CreateVirtualHostAsync(name);
            return RabbitMq.GetConnectionString(name);
        })).Value;

    private static string UniqueName(string owner)
    {
        var cleaned = new string(owner.Where(char.IsAsciiLetterOrDigit).ToArray());
        return $"t_{cleaned[..Math.Min(cleaned.Length, 40)]}_{Guid.NewGuid().ToString("N")[..8]}";
    }

    public async ValueTask DisposeAsync()
    {
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        if (RabbitMq is not null)
        {
            await RabbitMq.DisposeAsync();
        }
    }

    private static async Task DisposeStartedAsync(Task<PostgresServer> postgres, Task<RabbitMqServer> rabbitMq)
    {
        foreach (var task in new Task[] { postgres, rabbitMq })
        {
            try
            {
                await task;
            }
            catch (Exception)
            {
                // The failure is reported by InitializeAsync; here we only stop what did start.
            }
        }

        if (postgres.IsCompletedSuccessfully)
        {
            await postgres.Result.DisposeAsync();
        }

        if (rabbitMq.IsCompletedSuccessfully)
        {
            await rabbitMq.Result.DisposeAsync();
        }
    }
}

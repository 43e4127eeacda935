using System.Net;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Consumer;
using AuthErrorOps.Ingest;
using AuthErrorOps.Relay;
using AuthErrorOps.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace AuthErrorOps.Tests.Foundation;

/// <summary>Each service's /health reflects its dependencies; /alive only the process.</summary>
public sealed class ServiceHealthTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task Health_is_200_with_both_servers_up_and_503_once_postgres_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        // A server of its own: stopping the shared one would break every other test.
        var postgres = await PostgresServer.StartAsync(new PostgresServerOptions { Durable = false }, cancellationToken: ct);
        await using var stopPostgres = postgres;
        await postgres.CreateDatabaseAsync("authdb", ct);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:authdb"] = postgres.GetConnectionString("authdb"),
            ["ConnectionStrings:messaging"] = await infrastructure.VirtualHostAsync(nameof(ServiceHealthTests)),
        };

        await using var ingest = new ServiceFactory<IngestOptions>(settings);
        await using var relay = new ServiceFactory<RelayOptions>(settings);
        await using var consumer = new ServiceFactory<ConsumerOptions>(settings);
        (string Name, HttpClient Client)[] services =
            [("ingest", ingest.CreateClient()), ("relay", relay.CreateClient()), ("consumer", consumer.CreateClient())];

        foreach (var (name, client) in services)
        {
            Assert.True(HttpStatusCode.OK == (await client.GetAsync("/health", ct)).StatusCode, $"{name} /health with both servers up");
        }

        var postmaster = postgres.ProcessId;
        await postgres.StopAsync();
        Assert.False(LocalProcesses.IsAlive(postmaster), "the stopped PostgreSQL server process is gone");
        Assert.False(Directory.Exists(postgres.DataDirectory), "the throwaway cluster's folder is removed");

        foreach (var (name, client) in services)
        {
            var health = await client.GetAsync("/health", ct);
            Assert.True(HttpStatusCode.ServiceUnavailable == health.StatusCode, $"{name} /health with PostgreSQL stopped: {health.StatusCode}");
            Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync(ct));
            Assert.True(HttpStatusCode.OK == (await client.GetAsync("/alive", ct)).StatusCode, $"{name} /alive only checks the process");
        }
    }

    [Fact]
    public void A_missing_connection_string_fails_start_up_naming_the_key()
    {
        using var ingest = new ServiceFactory<IngestOptions>(new Dictionary<string, string?>());
        var error = Assert.ThrowsAny<InvalidOperationException>(() => ingest.CreateClient());
        Assert.Contains("ConnectionStrings:authdb", error.Message, StringComparison.Ordinal);
    }
}

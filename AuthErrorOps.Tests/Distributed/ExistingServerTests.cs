using System.Net;
using System.Net.Http.Json;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.AppHost.Testing;
using AuthErrorOps.Tests.Infrastructure;
using AuthErrorOps.Tests.Ingest;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>With <c>ConnectionStrings:*</c> configured, the AppHost uses those servers instead of starting its own.</summary>
public sealed class ExistingServerTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Configured_connection_strings_are_used_and_no_server_is_started_or_stopped()
    {
        var authdb = await infrastructure.DatabaseAsync(nameof(ExistingServerTests));
        var messaging = await infrastructure.VirtualHostAsync(nameof(ExistingServerTests));
        var testing = DistributedApplicationTestingBuilder.Create(new StringWriter(), dashboard: false);
        var builder = DistributedApplication.CreateBuilder(testing.Options with
        {
            ConnectionStrings = new(StringComparer.Ordinal) { ["authdb"] = authdb, ["messaging"] = messaging },
        });
        var postgres = builder.AddPostgres("postgres");
        var database = postgres.AddDatabase("authdb");
        var rabbit = builder.AddRabbitMQ("messaging");
        builder.AddProject("ingest", "AuthErrorOps.Ingest").WithReference(database).WithReference(rabbit).WaitFor(database).WaitFor(rabbit).WithHttpHealthCheck("/health");

        await using (var app = builder.Build())
        {
            await app.StartAsync(Ct);

            Assert.All(new Resource[] { postgres.Resource, database.Resource, rabbit.Resource }, resource =>
            {
                Assert.Equal(ResourceState.Running, resource.State);
                Assert.True(resource.IsExternal, $"{resource.Name} should be the configured server");
            });
            Assert.Null(postgres.Resource.Server);
            Assert.Null(rabbit.Resource.Server);
            Assert.Equal(authdb, await app.GetConnectionStringAsync("authdb"));
            using var client = app.CreateHttpClient("ingest");
            using var response = await client.PostAsJsonAsync("/api/auth-errors", AuthErrorSamples.Valid(), Ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // The servers belong to someone else: still there after the app stopped.
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(authdb);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        Assert.True(infrastructure.RabbitMq.ProcessId > 0 && AppHost.Infrastructure.LocalProcesses.IsAlive(infrastructure.RabbitMq.ProcessId));
    }
}

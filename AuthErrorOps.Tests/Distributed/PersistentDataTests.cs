using System.Text;
using AuthErrorOps.AppHost.Hosting;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.AppHost.Testing;
using Dapper;
using Npgsql;
using RabbitMQ.Client;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

public sealed class PersistentDataTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_a_data_folder_PostgreSQL_rows_and_RabbitMQ_messages_survive_a_stop_and_a_new_run()
    {
        var folder = Path.Combine(LocalProcesses.InstanceRoot, $"persistent-test-{Guid.NewGuid():N}");
        var marker = Guid.NewGuid().ToString("N");
        try
        {
            await using (var first = await StartServersAsync(folder))
            {
                await using var db = new NpgsqlConnection(await first.GetConnectionStringAsync("authdb"));
                await db.ExecuteAsync("CREATE TABLE kept (marker text); INSERT INTO kept VALUES (@marker)", new { marker });
                await using var connection = await new ConnectionFactory { Uri = new Uri((await first.GetConnectionStringAsync("messaging"))!) }.CreateConnectionAsync(Ct);
                await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Ct);
                await channel.QueueDeclareAsync("kept", durable: true, exclusive: false, autoDelete: false, cancellationToken: Ct);
                await channel.BasicPublishAsync("", "kept", mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes(marker), Ct);
            }

            await using var second = await StartServersAsync(folder);
            await using var again = new NpgsqlConnection(await second.GetConnectionStringAsync("authdb"));
            Assert.Equal(marker, await again.ExecuteScalarAsync<string>("SELECT marker FROM kept"));
            await using var reconnection = await new ConnectionFactory { Uri = new Uri((await second.GetConnectionStringAsync("messaging"))!) }.CreateConnectionAsync(Ct);
            await using var rechannel = await reconnection.CreateChannelAsync(cancellationToken: Ct);
            var message = await rechannel.BasicGetAsync("kept", autoAck: true, Ct);
            Assert.NotNull(message);
            Assert.Equal(marker, Encoding.UTF8.GetString(message.Body.Span));
        }
        finally
        {
            LocalProcesses.DeleteDirectory(folder);
        }
    }

    private static async Task<DistributedApplication> StartServersAsync(string folder)
    {
        var builder = DistributedApplication.CreateBuilder(DistributedApplicationTestingBuilder.Create(new StringWriter(), dashboard: false).Options with { DataDirectory = folder });
        builder.AddPostgres("postgres").AddDatabase("authdb");
        builder.AddRabbitMQ("messaging");
        var app = builder.Build();
        await app.StartAsync(Ct);
        return app;
    }
}

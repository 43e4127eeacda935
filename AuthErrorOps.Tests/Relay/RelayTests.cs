using System.Text;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;
using Xunit;

namespace AuthErrorOps.Tests.Relay;

/// <summary>Relay scenarios of DESIGN §5 against real PostgreSQL and RabbitMQ. Each test owns a database and vhost.</summary>
public sealed class RelayTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record OutboxRowState(string Status, int Attempts, bool BackingOff, string? LastError);

    private sealed record Scene(NpgsqlDataSource DataSource, string ConnectionString, string AmqpUri) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => DataSource.DisposeAsync();
    }

    private async Task<Scene> SceneAsync(string owner)
    {
        var (dataSource, connectionString) = await infrastructure.MigratedDatabaseAsync($"{nameof(RelayTests)}_{owner}");
        return new Scene(dataSource, connectionString, await infrastructure.VirtualHostAsync($"{nameof(RelayTests)}_{owner}"));
    }

    [Fact]
    public async Task A_row_is_published_with_its_id_type_and_trace_context_then_marked_published()
    {
        await using var scene = await SceneAsync(nameof(A_row_is_published_with_its_id_type_and_trace_context_then_marked_published));
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var eventId = (await OutboxRows.InsertAsync(scene.DataSource, 1, $"00-{traceId}-00f067aa0ba902b7-01")).Single();

        await using var relay = RelayHost.Start(RelayHost.Settings(scene.ConnectionString, scene.AmqpUri));
        await OutboxRows.WaitUntilAllPublishedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));

        await using var connection = await new ConnectionFactory { Uri = new Uri(scene.AmqpUri) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        var message = await Eventually.ReturnsAsync("the published message", () => channel.BasicGetAsync(AuthErrorTopology.RecordedQueue, autoAck: true), TimeSpan.FromSeconds(10));
        Assert.Equal(eventId.ToString(), message.BasicProperties.MessageId);
        Assert.Equal(AuthErrorTopology.RecordedEventType, message.BasicProperties.Type);
        Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
        var traceParent = Encoding.UTF8.GetString((byte[])message.BasicProperties.Headers!["traceparent"]!);
        Assert.StartsWith($"00-{traceId}-", traceParent, StringComparison.Ordinal);

        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        var row = await db.QuerySingleAsync<(int Attempts, string? LockedBy, bool HasPublishedAt)>(
            "SELECT attempts, locked_by, published_at IS NOT NULL FROM outbox_message WHERE event_id = @eventId", new { eventId });
        Assert.Equal((0, null, true), row);
    }

    [Fact]
    public async Task The_relay_commits_without_waiting_for_the_wal_flush()
    {
        // Safe because a lost claim or mark only republishes (docs/decisions.md); it spares a flush per relay commit.
        await using var scene = await SceneAsync(nameof(The_relay_commits_without_waiting_for_the_wal_flush));
        await using var relay = RelayHost.Start(RelayHost.Settings(scene.ConnectionString, scene.AmqpUri));

        await using var relayConnection = await relay.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(Ct);
        // Set by the relay's own connections ("client"), not inherited from the test server (which runs without fsync).
        Assert.Equal(("off", "client"), await relayConnection.QuerySingleAsync<(string, string)>(
            "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'"));
    }

    [Fact]
    public async Task An_unroutable_publish_backs_off_then_goes_dead_at_the_maximum()
    {
        await using var scene = await SceneAsync(nameof(An_unroutable_publish_backs_off_then_goes_dead_at_the_maximum));
        await using var relay = RelayHost.Start(RelayHost.Settings(scene.ConnectionString, scene.AmqpUri, new Dictionary<string, string?>
        {
            ["Relay:MaxAttempts"] = "2",
            ["Relay:BackoffBase"] = "00:00:02",
        }));

        // With the main queue unbound, a mandatory publish comes back unroutable.
        await using (var connection = await new ConnectionFactory { Uri = new Uri(scene.AmqpUri) }.CreateConnectionAsync(Ct))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: Ct))
        {
            await channel.QueueUnbindAsync(AuthErrorTopology.RecordedQueue, AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType, cancellationToken: Ct);
        }

        var eventId = (await OutboxRows.InsertAsync(scene.DataSource, 1)).Single();
        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        const string rowSql = "SELECT status AS Status, attempts AS Attempts, next_attempt_at > now() AS BackingOff, last_error AS LastError FROM outbox_message WHERE event_id = @eventId";

        var first = await Eventually.ReturnsAsync("the first failed attempt", async () =>
        {
            var row = await db.QuerySingleAsync<OutboxRowState>(rowSql, new { eventId });
            return row.Attempts == 1 ? row : null;
        }, TimeSpan.FromSeconds(20));
        Assert.Equal("PENDING", first.Status);
        Assert.True(first.BackingOff, "next_attempt_at is in the future");
        Assert.StartsWith("unroutable", first.LastError, StringComparison.Ordinal);

        // Backoff is at least half of 2 s: the row is not claimed again before that.
        await Task.Delay(TimeSpan.FromMilliseconds(600), Ct);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT attempts FROM outbox_message WHERE event_id = @eventId", new { eventId }));

        await Eventually.HoldsAsync("the row DEAD after the second attempt", async () =>
            await db.ExecuteScalarAsync<string>("SELECT status FROM outbox_message WHERE event_id = @eventId", new { eventId }) == "DEAD",
            TimeSpan.FromSeconds(20));
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT attempts FROM outbox_message WHERE event_id = @eventId", new { eventId }));
    }

    [Fact]
    public async Task A_row_stuck_in_processing_past_its_lease_is_reaped_and_published()
    {
        await using var scene = await SceneAsync(nameof(A_row_stuck_in_processing_past_its_lease_is_reaped_and_published));
        var eventId = (await OutboxRows.InsertAsync(scene.DataSource, 1)).Single();
        await using (var db = await scene.DataSource.OpenConnectionAsync(Ct))
        {
            await db.ExecuteAsync("UPDATE outbox_message SET status = 'PROCESSING', locked_by = 'crashed-relay', locked_until = now() - interval '1 second'");
        }

        await using var relay = RelayHost.Start(RelayHost.Settings(scene.ConnectionString, scene.AmqpUri));
        await OutboxRows.WaitUntilAllPublishedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(20));

        await using var connection = await scene.DataSource.OpenConnectionAsync(Ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT attempts FROM outbox_message WHERE event_id = @eventId", new { eventId }));
    }

    [Fact]
    public async Task A_new_row_is_published_at_once_even_with_a_30_second_poll_interval()
    {
        await using var scene = await SceneAsync(nameof(A_new_row_is_published_at_once_even_with_a_30_second_poll_interval));
        await using var relay = RelayHost.Start(RelayHost.Settings(scene.ConnectionString, scene.AmqpUri,
            new Dictionary<string, string?> { ["Relay:PollInterval"] = "00:00:30" }));
        // Let the relay go idle first, so only a notification can wake it.
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);

        var inserted = System.Diagnostics.Stopwatch.StartNew();
        await OutboxRows.InsertAsync(scene.DataSource, 1);
        await OutboxRows.WaitUntilAllPublishedAsync(scene.DataSource, 1, TimeSpan.FromSeconds(3));
        Assert.True(inserted.Elapsed < TimeSpan.FromSeconds(3), $"published after {inserted.Elapsed}");
    }

    [Fact]
    public async Task Two_relays_publish_ten_thousand_rows_each_exactly_once_unless_reaped()
    {
        await using var scene = await SceneAsync(nameof(Two_relays_publish_ten_thousand_rows_each_exactly_once_unless_reaped));
        var eventIds = await OutboxRows.InsertAsync(scene.DataSource, 10_000);

        var settings = RelayHost.Settings(scene.ConnectionString, scene.AmqpUri);
        await using var first = RelayHost.Start(settings);
        await using var second = RelayHost.Start(settings);
        await OutboxRows.WaitUntilAllPublishedAsync(scene.DataSource, eventIds.Count, TimeSpan.FromSeconds(90));

        var received = await DrainAsync(scene.AmqpUri, eventIds.Count);
        await using var db = await scene.DataSource.OpenConnectionAsync(Ct);
        var reaped = await db.ExecuteScalarAsync<long>("SELECT coalesce(sum(attempts), 0) FROM outbox_message");
        Assert.Equal(eventIds.Select(id => id.ToString()).Order(), received.Distinct().Order());
        Assert.Equal(reaped, received.Count - eventIds.Count);
    }

    /// <summary>
    /// Every message id on the main queue once <paramref name="expected"/> have arrived and the queue stays quiet.
    /// Consumed with a prefetch (one basic.get per message crawls on a loaded machine); fails after 30 s without progress.
    /// </summary>
    internal static async Task<List<string>> DrainAsync(string amqpUri, int expected)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(amqpUri) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        await channel.BasicQosAsync(0, 1_000, false, Ct);
        var ids = new List<string>();
        var lastArrival = DateTime.UtcNow;
        var consumer = new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            lock (ids)
            {
                ids.Add(delivery.BasicProperties.MessageId!);
                lastArrival = DateTime.UtcNow;
            }

            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(AuthErrorTopology.RecordedQueue, autoAck: true, consumer, Ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
            lock (ids)
            {
                var quiet = DateTime.UtcNow - lastArrival;
                if (ids.Count >= expected && quiet > TimeSpan.FromSeconds(1))
                {
                    return [.. ids];
                }

                if (quiet > TimeSpan.FromSeconds(30))
                {
                    break;
                }
            }
        }

        lock (ids)
        {
            throw new TimeoutException($"Timed out draining {AuthErrorTopology.RecordedQueue}: {ids.Count} of {expected} messages (none for 30 s, or 5 min in all).");
        }
    }
}

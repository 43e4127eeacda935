using System.Collections.Concurrent;
using AuthErrorOps.Consumer.Messaging;
using AuthErrorOps.Tests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit;

namespace AuthErrorOps.Tests.Consumer;

/// <summary>Multiple-acks cover only settled deliveries, whatever order batches settle in, against a real quorum queue.</summary>
public sealed class DeliveryAcknowledgerTests(InfrastructureFixture infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private sealed record Delivered(ulong Tag, string MessageId, bool Redelivered);

    /// <summary>A quorum queue holding <paramref name="count"/> messages, consumed with manual acks on a channel of its own.</summary>
    private sealed class Scene : IAsyncDisposable
    {
        public required IConnection Connection { get; init; }

        public required IChannel Channel { get; init; }

        public required DeliveryAcknowledger Acks { get; init; }

        public required string Queue { get; init; }

        public ConcurrentQueue<Delivered> Deliveries { get; } = new();

        public async Task<Delivered[]> WaitForDeliveriesAsync(int count)
        {
            await Eventually.HoldsAsync($"{count} deliveries from {Queue}", () => Task.FromResult(Deliveries.Count >= count), Timeout);
            return [.. Deliveries];
        }

        /// <summary>Messages left in the queue once this channel is gone: whatever it had not acked comes back.</summary>
        public async Task<uint> LeftAfterCloseAsync()
        {
            await Channel.CloseAsync(Ct);
            await using var probe = await Connection.CreateChannelAsync(cancellationToken: Ct);
            return (await probe.QueueDeclarePassiveAsync(Queue, Ct)).MessageCount;
        }

        public async ValueTask DisposeAsync()
        {
            await Channel.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    private async Task<Scene> SceneAsync(string owner, int count)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await infrastructure.VirtualHostAsync($"{nameof(DeliveryAcknowledgerTests)}_{owner}")) };
        var connection = await factory.CreateConnectionAsync(Ct);
        const string queue = "acks.q";
        await using (var setup = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Ct))
        {
            await setup.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: Ct);
            for (var i = 1; i <= count; i++)
            {
                await setup.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { MessageId = $"m{i}", Persistent = true }, new byte[] { 1 }, Ct);
            }
        }

        var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        await channel.BasicQosAsync(0, (ushort)(count + 1), global: false, Ct);
        var scene = new Scene { Connection = connection, Channel = channel, Acks = new DeliveryAcknowledger(channel), Queue = queue };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            scene.Acks.Received(delivery.DeliveryTag);
            scene.Deliveries.Enqueue(new Delivered(delivery.DeliveryTag, delivery.BasicProperties.MessageId!, delivery.Redelivered));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer, Ct);
        return scene;
    }

    [Fact]
    public async Task Batches_settled_in_delivery_order_take_one_frame_each()
    {
        await using var scene = await SceneAsync("in_order", 10);
        var tags = (await scene.WaitForDeliveriesAsync(10)).Select(d => d.Tag).Order().ToArray();

        Assert.Equal(1, await scene.Acks.AckAsync(tags[..5]));
        Assert.Equal(1, await scene.Acks.AckAsync(tags[5..]));

        // An ack the broker did not expect would have closed the channel; a passive declare on it proves it is still open.
        await scene.Channel.QueueDeclarePassiveAsync(scene.Queue, Ct);
        Assert.Equal(0u, await scene.LeftAfterCloseAsync());
    }

    [Fact]
    public async Task A_batch_settled_ahead_of_an_earlier_one_is_acked_alone_and_a_nack_is_never_covered()
    {
        await using var scene = await SceneAsync("out_of_order", 10);
        var first = (await scene.WaitForDeliveriesAsync(10)).OrderBy(d => d.Tag).ToArray();
        var tags = first.Select(d => d.Tag).ToArray();

        // The later batch settles first: the earlier one is outstanding below it, so no multiple-ack may cover it.
        Assert.Equal(5, await scene.Acks.AckAsync(tags[5..]));
        // One of the earlier batch goes back; then the rest of that batch is covered by one multiple-ack up to its last tag.
        await scene.Acks.NackAsync(tags[2]);
        Assert.Equal(1, await scene.Acks.AckAsync([tags[0], tags[1], tags[3], tags[4]]));

        // The nacked message comes back (the multiple-ack did not take it), exactly once, and is acked in turn.
        var all = await scene.WaitForDeliveriesAsync(11);
        var again = Assert.Single(all, d => d.Redelivered);
        Assert.Equal(first[2].MessageId, again.MessageId);
        Assert.Equal(1, await scene.Acks.AckAsync([again.Tag]));

        await scene.Channel.QueueDeclarePassiveAsync(scene.Queue, Ct);
        Assert.Equal(0u, await scene.LeftAfterCloseAsync());
        Assert.Equal(11, scene.Deliveries.Count);
    }
}

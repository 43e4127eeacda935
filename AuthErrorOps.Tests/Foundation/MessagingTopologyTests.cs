using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Xunit;

namespace AuthErrorOps.Tests.Foundation;

public sealed class MessagingTopologyTests(InfrastructureFixture infrastructure)
{
    private static readonly TimeSpan ShortTier = TimeSpan.FromMilliseconds(300);

    private static MessagingTopology Topology() =>
        new(Options.Create(new MessagingOptions { RetryDelays = [ShortTier, TimeSpan.FromSeconds(30)] }));

    [Fact]
    public async Task Declared_twice_routes_messages_to_the_main_queue_and_rejections_to_the_dlq()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await ConnectAsync(nameof(Declared_twice_routes_messages_to_the_main_queue_and_rejections_to_the_dlq));
        await Topology().DeclareAsync(connection, ct);
        await Topology().DeclareAsync(connection, ct);

        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        var messageId = Guid.NewGuid().ToString();
        await channel.BasicPublishAsync(AuthErrorTopology.Exchange, AuthErrorTopology.RecordedEventType, mandatory: true,
            new BasicProperties { MessageId = messageId, Persistent = true }, Encoding.UTF8.GetBytes("{}"), ct);

        var delivered = await NextAsync(channel, AuthErrorTopology.RecordedQueue);
        Assert.Equal(messageId, delivered.BasicProperties.MessageId);

        await channel.BasicRejectAsync(delivered.DeliveryTag, requeue: false, ct);
        var deadLettered = await NextAsync(channel, AuthErrorTopology.DeadLetterQueue);
        Assert.Equal(messageId, deadLettered.BasicProperties.MessageId);
        await channel.BasicAckAsync(deadLettered.DeliveryTag, multiple: false, ct);
    }

    [Fact]
    public async Task A_message_in_a_retry_tier_returns_to_the_main_queue_after_its_delay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await ConnectAsync(nameof(A_message_in_a_retry_tier_returns_to_the_main_queue_after_its_delay));
        await Topology().DeclareAsync(connection, ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);

        var messageId = Guid.NewGuid().ToString();
        await channel.BasicPublishAsync(AuthErrorTopology.RetryExchange, AuthErrorTopology.RetryTierName(ShortTier), mandatory: true,
            new BasicProperties { MessageId = messageId, Persistent = true, Headers = new Dictionary<string, object?> { [AuthErrorTopology.RetryCountHeader] = 1 } },
            Encoding.UTF8.GetBytes("{}"), ct);

        var returned = await NextAsync(channel, AuthErrorTopology.RecordedQueue);
        Assert.Equal(messageId, returned.BasicProperties.MessageId);
        Assert.Equal(1, Convert.ToInt32(returned.BasicProperties.Headers![AuthErrorTopology.RetryCountHeader], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(returned.BasicProperties.Headers.ContainsKey("x-death"), "a dead-lettered (expired) message carries x-death");
        await channel.BasicAckAsync(returned.DeliveryTag, multiple: false, ct);
    }

    [Fact]
    public async Task Queues_that_dead_letter_are_quorum_queues_with_at_least_once_dead_lettering()
    {
        var owner = nameof(Queues_that_dead_letter_are_quorum_queues_with_at_least_once_dead_lettering);
        await using (var connection = await ConnectAsync(owner))
        {
            await Topology().DeclareAsync(connection, TestContext.Current.CancellationToken);
        }

        var vhost = new Uri(await infrastructure.VirtualHostAsync(owner)).AbsolutePath.TrimStart('/');
        using var management = new HttpClient { BaseAddress = infrastructure.RabbitMq.ManagementUri };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AppHost.Infrastructure.RabbitMqServer.Username}:{infrastructure.RabbitMq.Password}")));

        foreach (var queue in new[] { AuthErrorTopology.RecordedQueue, AuthErrorTopology.RetryQueue(ShortTier) })
        {
            var info = await management.GetFromJsonAsync<JsonElement>($"api/queues/{vhost}/{Uri.EscapeDataString(queue)}", TestContext.Current.CancellationToken);
            Assert.Equal("quorum", info.GetProperty("type").GetString());
            var arguments = info.GetProperty("arguments");
            Assert.Equal("at-least-once", arguments.GetProperty("x-dead-letter-strategy").GetString());
            Assert.Equal("reject-publish", arguments.GetProperty("x-overflow").GetString());
        }
    }

    [Theory]
    [InlineData("00:00:10", "auth.error.recorded.retry.q.10s")]
    [InlineData("00:01:00", "auth.error.recorded.retry.q.1m")]
    [InlineData("00:10:00", "auth.error.recorded.retry.q.10m")]
    [InlineData("02:00:00", "auth.error.recorded.retry.q.2h")]
    [InlineData("00:00:00.250", "auth.error.recorded.retry.q.250ms")]
    public void Retry_queues_are_named_after_their_delay(string delay, string expected) =>
        Assert.Equal(expected, AuthErrorTopology.RetryQueue(TimeSpan.Parse(delay, System.Globalization.CultureInfo.InvariantCulture)));

    private async Task<IConnection> ConnectAsync(string owner)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await infrastructure.VirtualHostAsync(owner)) };
        return await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
    }

    private static Task<BasicGetResult> NextAsync(IChannel channel, string queue) =>
        Eventually.ReturnsAsync($"a message on queue {queue}",
            () => channel.BasicGetAsync(queue, autoAck: false), TimeSpan.FromSeconds(10));
}

using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AuthErrorOps.Core.Messaging;

/// <summary>
/// One long-lived channel with publisher confirms and tracking: <c>BasicPublishAsync</c>
/// completes on the broker's ack and throws <see cref="PublishException"/> on a return or nack.
/// Opened on first use, reopened after it closed; no client-side throttling, since callers
/// bound what they keep in flight (the default ThrottlingRateLimiter delays publishes past
/// half its window). Each publisher owns one.
/// </summary>
public sealed class ConfirmedPublishChannel(IConnection connection) : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IChannel? _channel;

    public async Task<IChannel> GetAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_channel is not { IsOpen: true })
            {
                await CloseQuietlyAsync();
                _channel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
                        outstandingPublisherConfirmationsRateLimiter: null),
                    cancellationToken);
            }

            return _channel;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>After a confirm timeout or a lost connection the channel's state is unknown: the next publish opens a fresh one.</summary>
    public async Task ResetAsync()
    {
        await _lock.WaitAsync();
        try
        {
            await CloseQuietlyAsync();
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task CloseQuietlyAsync()
    {
        if (_channel is null)
        {
            return;
        }

        try
        {
            await _channel.DisposeAsync();
        }
        catch (Exception exception) when (exception is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
        {
            // Already gone with its connection.
        }

        _channel = null;
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync();
        _lock.Dispose();
    }
}

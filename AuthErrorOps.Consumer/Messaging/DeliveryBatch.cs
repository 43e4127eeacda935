using System.Diagnostics;
using System.Threading.Channels;
using RabbitMQ.Client;

namespace AuthErrorOps.Consumer.Messaging;

/// <summary>
/// A delivery taken off the client: its body copied (the client reuses the buffer once the handler returns) and the
/// trace context it was delivered in, which parents its processing span.
/// </summary>
public sealed record PendingDelivery(ulong DeliveryTag, IReadOnlyBasicProperties Properties, ReadOnlyMemory<byte> Body, ActivityContext TraceContext);

public static class DeliveryBatch
{
    /// <summary>
    /// How long the next batch lingers: as long as the previous one took to process, at most <paramref name="limit"/>.
    /// Under load a batch takes longer, so the next one waits longer and links more deliveries in one transaction
    /// (fewer commits when the cores are scarce); at low load processing is quick, and so is the wait a lone message adds.
    /// </summary>
    public static TimeSpan NextLinger(TimeSpan previousBatch, TimeSpan limit) =>
        TimeSpan.FromTicks(Math.Clamp(previousBatch.Ticks, 0, limit.Ticks));

    /// <summary>
    /// Waits as long as it takes for a first delivery, then takes more until <paramref name="maxSize"/> or until
    /// <paramref name="linger"/> has passed: a lone delivery waits at most the linger, a backlog fills the batch at once.
    /// Returns false when the reader is completed and empty.
    /// </summary>
    public static async Task<bool> FillAsync<T>(ChannelReader<T> reader, List<T> batch, int maxSize, TimeSpan linger, CancellationToken cancellationToken)
    {
        T? first;
        while (!reader.TryRead(out first))
        {
            if (!await reader.WaitToReadAsync(cancellationToken))
            {
                return false;
            }
        }

        batch.Add(first);
        if (batch.Count >= maxSize)
        {
            return true;
        }

        using var lingering = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lingering.CancelAfter(linger);
        while (batch.Count < maxSize)
        {
            if (reader.TryRead(out var next))
            {
                batch.Add(next);
                continue;
            }

            try
            {
                if (!await reader.WaitToReadAsync(lingering.Token))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        return true;
    }
}

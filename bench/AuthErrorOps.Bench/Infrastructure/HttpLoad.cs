using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>How to drive Ingest: events per second (null: flat out), connections, duration, items per request (1: single).</summary>
public sealed record LoadShape(double? EventsPerSecond, int Connections, TimeSpan Duration, int Batch);

/// <summary>Running totals of a load phase (thread-safe reads).</summary>
public sealed class LoadCounters
{
    private long _requests;
    private long _accepted;
    private long _failed;
    private long _notSent;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Events Ingest created (202, or "created" in a batch result).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Requests of an open loop still unsent when the phase ended: the client or the server fell behind the rate.</summary>
    public long NotSent => Interlocked.Read(ref _notSent);

    public Dictionary<string, long> FailuresByStatus { get; } = new(StringComparer.Ordinal);

    internal void Succeeded(int accepted)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _accepted, accepted);
    }

    internal void Unsent(long requests) => Interlocked.Add(ref _notSent, requests);

    internal void Failure(string status)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _failed);
        lock (FailuresByStatus)
        {
            FailuresByStatus[status] = FailuresByStatus.GetValueOrDefault(status) + 1;
        }
    }
}

/// <summary>
/// Drives POST /api/auth-errors (or /batch) from N connections. At a fixed rate it is an open
/// loop: request k is due at start + k/rate, and its latency counts from when it was due, so a
/// stalled server shows in the percentiles instead of slowing the load (no coordinated omission).
/// </summary>
public sealed class HttpLoad(Uri ingestUrl, string apiKey, AuthErrorBodies bodies)
{
    public static HttpClient CreateClient(Uri ingestUrl, string apiKey, int connections)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = ingestUrl,
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <param name="firstEvent">Numbering of this phase's events (a warm-up uses another range).</param>
    public async Task RunAsync(LoadShape shape, long firstEvent, LatencyRecorder latencies, LoadCounters counters, CancellationToken cancellationToken)
    {
        using var client = CreateClient(ingestUrl, apiKey, shape.Connections);
        var path = shape.Batch > 1 ? "/api/auth-errors/batch" : "/api/auth-errors";
        double? requestsPerSecond = shape.EventsPerSecond / shape.Batch;
        long nextTicket = -1;
        var started = Stopwatch.GetTimestamp();
        var durationTicks = (long)(shape.Duration.TotalSeconds * Stopwatch.Frequency);
        // Behind schedule, an open loop would otherwise go on sending long after the duration.
        var lastSendTicks = durationTicks + (long)(Math.Max(5, shape.Duration.TotalSeconds / 10) * Stopwatch.Frequency);

        async Task WorkerAsync()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var ticket = Interlocked.Increment(ref nextTicket);
                long due;
                if (requestsPerSecond is { } rate)
                {
                    due = started + (long)(ticket / rate * Stopwatch.Frequency);
                    if (due - started >= durationTicks)
                    {
                        return;
                    }

                    if (Stopwatch.GetTimestamp() - started > lastSendTicks)
                    {
                        return;
                    }

                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, cancellationToken);
                    }
                }
                else
                {
                    due = Stopwatch.GetTimestamp();
                    if (due - started >= durationTicks)
                    {
                        return;
                    }
                }

                var first = firstEvent + ticket * shape.Batch;
                var body = shape.Batch > 1 ? bodies.Batch(first, shape.Batch) : bodies.Single(first);
                await SendAsync(client, path, body, shape.Batch, due, latencies, counters, cancellationToken);
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, shape.Connections).Select(_ => Task.Run(WorkerAsync, cancellationToken)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        if (requestsPerSecond is { } scheduled)
        {
            counters.Unsent(Math.Max(0, (long)Math.Ceiling(shape.Duration.TotalSeconds * scheduled) - counters.Requests));
        }
    }

    private static async Task SendAsync(HttpClient client, string path, byte[] body, int batch, long due, LatencyRecorder latencies, LoadCounters counters, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await client.PostAsync(path, content, cancellationToken);
            if (batch == 1 && response.StatusCode == HttpStatusCode.Accepted)
            {
                latencies.Record(Stopwatch.GetElapsedTime(due));
                counters.Succeeded(1);
            }
            else if (batch > 1 && response.StatusCode == HttpStatusCode.OK)
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
                var created = document.RootElement.GetProperty("results").EnumerateArray().Count(r => r.GetProperty("status").ValueEquals("created"u8));
                latencies.Record(Stopwatch.GetElapsedTime(due));
                counters.Succeeded(created);
            }
            else
            {
                counters.Failure(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        catch (HttpRequestException exception)
        {
            counters.Failure(exception.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            counters.Failure("timeout");
        }
    }
}

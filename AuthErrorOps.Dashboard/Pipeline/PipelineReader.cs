using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthErrorOps.Dashboard.Resources;
using AuthErrorOps.Dashboard.Telemetry;

namespace AuthErrorOps.Dashboard.Pipeline;

/// <summary>
/// Reads the pipeline server-side: the Ingest ops API (with the run's key), the broker's management API, and
/// rates from the received metrics. Each part is read on its own; one that fails is reported, not thrown.
/// </summary>
internal sealed class PipelineReader(HttpClient http, IResourceService resources, TelemetryStore telemetry)
{
    public const string QueuePrefix = "auth.error.";
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<PipelineOverview> ReadAsync(CancellationToken cancellationToken)
    {
        var source = resources.GetPipelineSource();
        var errors = new SortedDictionary<string, string>(StringComparer.Ordinal);

        var outbox = PartAsync("outbox", errors, () => GetIngestAsync<OutboxState>(source, "api/ops/outbox", cancellationToken), cancellationToken);
        var queues = PartAsync("queues", errors, () => GetQueuesAsync(source, cancellationToken), cancellationToken);
        var clusters = PartAsync("topClusters", errors, async () =>
            (await GetIngestAsync<Page<ClusterState>>(source, "api/clusters?sort=totalCount&direction=desc&size=10", cancellationToken)).Items,
            cancellationToken);
        var deadLetters = PartAsync("deadLetters", errors, async () =>
            (await GetIngestAsync<Page<DeadLetterState>>(source, "api/ops/dead-letters", cancellationToken)).Items,
            cancellationToken);
        await Task.WhenAll(outbox, queues, clusters, deadLetters);

        var rates = new PipelineRates(
            telemetry.RatePerSecond("ingest", "autherrorops.ingest.accepted", RateWindow),
            telemetry.RatePerSecond("relay", "autherrorops.relay.published", RateWindow),
            telemetry.RatePerSecond("consumer", "autherrorops.consumer.consumed", RateWindow, new("outcome", "linked")));
        return new PipelineOverview(await outbox, await queues, await clusters, await deadLetters, rates, errors);
    }

    public async Task<ReplayOutcome> ReplayDeadLetterAsync(long id, CancellationToken cancellationToken)
    {
        var source = resources.GetPipelineSource() ?? throw new PipelineUnavailableException(NotRunning);
        using var request = IngestRequest(HttpMethod.Post, source, $"api/ops/dead-letters/{id}/replay");
        using var response = await http.SendAsync(request, cancellationToken);
        return new ReplayOutcome(
            (int)response.StatusCode,
            response.Content.Headers.ContentType?.ToString() ?? "application/json",
            await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private const string NotRunning = "Ingest is not running yet: the AppHost has no pipeline source.";

    /// <summary>One part of the page: whatever goes wrong reading it (unreachable, timeout, 4xx/5xx, odd JSON) becomes its error.</summary>
    private static async Task<T?> PartAsync<T>(string part, SortedDictionary<string, string> errors, Func<Task<T>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            lock (errors)
            {
                errors[part] = e switch
                {
                    TaskCanceledException => "Timed out.",
                    _ => e.Message,
                };
            }

            return null;
        }
    }

    private async Task<T> GetIngestAsync<T>(PipelineSource? source, string pathAndQuery, CancellationToken cancellationToken)
    {
        using var request = IngestRequest(HttpMethod.Get, source ?? throw new PipelineUnavailableException(NotRunning), pathAndQuery);
        return await SendAsync<T>(request, cancellationToken);
    }

    private async Task<IReadOnlyList<QueueState>> GetQueuesAsync(PipelineSource? source, CancellationToken cancellationToken)
    {
        if (source?.ManagementUrl is not { } managementUrl)
        {
            throw new PipelineUnavailableException("The broker's management API is not known yet.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(WithTrailingSlash(managementUrl), "api/queues"));
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{source.ManagementUser}:{source.ManagementPassword}")));
        var queues = await SendAsync<List<QueueState>>(request, cancellationToken);
        return [.. queues.Where(q => q.Name.StartsWith(QueuePrefix, StringComparison.Ordinal)).OrderBy(q => q.Name, StringComparer.Ordinal)];
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{request.Method} {request.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}.");
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new JsonException($"{request.RequestUri?.AbsolutePath} answered an empty body.");
    }

    private static HttpRequestMessage IngestRequest(HttpMethod method, PipelineSource source, string pathAndQuery)
    {
        var request = new HttpRequestMessage(method, new Uri(WithTrailingSlash(source.IngestUrl), pathAndQuery));
        request.Headers.Add("X-Api-Key", source.ApiKey);
        return request;
    }

    private static Uri WithTrailingSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private sealed record Page<T>(IReadOnlyList<T> Items);
}

internal sealed class PipelineUnavailableException(string message) : Exception(message);

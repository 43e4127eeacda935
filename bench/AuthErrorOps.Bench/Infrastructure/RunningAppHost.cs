using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Dashboard.Resources;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// Finds a running AppHost's system through its dashboard's control API (<c>GET /api/resources</c>
/// with the browser token): Ingest's address, its API key and the connection strings it was given,
/// the values <c>--ingest-url</c>, <c>--api-key</c>, <c>--authdb</c> and <c>--messaging</c> would name,
/// and the services' process ids, so their CPU and memory are measured too.
/// </summary>
public static class RunningAppHost
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<BenchTarget> DiscoverAsync(Uri dashboard, string token, BenchTarget target, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = dashboard, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        List<ResourceSnapshot>? resources;
        try
        {
            using var response = await http.GetAsync("/api/resources", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException(
                    $"GET {new Uri(dashboard, "/api/resources")} answered {(int)response.StatusCode}: --token must be the dashboard's browser token (the t= of the AppHost's login link).");
            }

            resources = await response.Content.ReadFromJsonAsync<List<ResourceSnapshot>>(Json, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException($"No AppHost dashboard answers at {dashboard}: {exception.Message}", exception);
        }

        // Every Ingest replica has the same key and connection strings; any running one will do.
        var ingest = resources?.FirstOrDefault(resource => resource.Name == "ingest" && resource.State == "Running" && resource.Endpoints.Count > 0)
            ?? throw new InvalidOperationException($"The AppHost at {dashboard} has no running ingest instance.");
        return target with
        {
            IngestUrl = ingest.Endpoints[0].Url,
            ApiKey = Variable(ingest, "Ingest__ApiKeys__0"),
            AuthDb = Variable(ingest, "ConnectionStrings__authdb"),
            Messaging = Variable(ingest, "ConnectionStrings__messaging"),
            ServiceProcesses = resources
                .Where(resource => resource.Type == "Project" && resource.State == "Running" && resource.ProcessId > 0)
                .Select(resource => (resource.InstanceName, resource.ProcessId!.Value))
                .ToList(),
        };
    }

    private static string Variable(ResourceSnapshot resource, string name) =>
        resource.Environment.FirstOrDefault(variable => variable.Name == name)?.Value
        ?? throw new InvalidOperationException($"{resource.InstanceName} of the running AppHost has no {name} in its environment.");
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthErrorOps.Dashboard.Resources;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>The AppHost's control API as a script would use it: list resources, run commands, wait for states.</summary>
public static class ControlApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IReadOnlyList<ResourceSnapshot>> ResourcesAsync(HttpClient dashboard, CancellationToken cancellationToken) =>
        await dashboard.GetFromJsonAsync<List<ResourceSnapshot>>("/api/resources", Json, cancellationToken) ?? [];

    public static async Task<ResourceSnapshot> InstanceAsync(HttpClient dashboard, string instanceName, CancellationToken cancellationToken) =>
        (await ResourcesAsync(dashboard, cancellationToken)).SingleOrDefault(resource => resource.InstanceName == instanceName)
        ?? throw new InvalidOperationException($"GET /api/resources has no instance '{instanceName}'.");

    public static async Task<HttpStatusCode> CommandAsync(HttpClient dashboard, string name, string command, CancellationToken cancellationToken)
    {
        using var response = await dashboard.PostAsync($"/api/resources/{name}/{command}", null, cancellationToken);
        return response.StatusCode;
    }

    public static async Task CommandOkAsync(HttpClient dashboard, string name, string command, CancellationToken cancellationToken)
    {
        using var response = await dashboard.PostAsync($"/api/resources/{name}/{command}", null, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"POST /api/resources/{name}/{command} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    public static Task<ResourceSnapshot> WaitForStateAsync(HttpClient dashboard, string instanceName, string state, TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.ReturnsAsync($"{instanceName} to be {state} in GET /api/resources", async () =>
        {
            var instance = await InstanceAsync(dashboard, instanceName, cancellationToken);
            return instance.State == state ? instance : null;
        }, timeout, TimeSpan.FromMilliseconds(200));
}

using AuthErrorOps.AppHost.Hosting;

namespace AuthErrorOps.AppHost.Testing;

/// <summary>
/// Aspire.Hosting.Testing's counterpart: a builder for the AppHost's model with settings a test
/// wants — the dashboard on free ports (so a developer's running copy is no obstacle), a start
/// timeout that fails with the resource's name instead of hanging, quiet services, and
/// project settings overridden (short retry tiers, …). Add the model, Build(), StartAsync().
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static DistributedApplicationBuilder Create(
        TextWriter console,
        IReadOnlyDictionary<string, string>? projectSettings = null,
        TimeSpan? startTimeout = null,
        bool dashboard = true)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["Logging__LogLevel__Default"] = "Warning" };
        foreach (var (key, value) in projectSettings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            StartTimeout = startTimeout ?? TimeSpan.FromSeconds(90),
            Console = TextWriter.Synchronized(console),
            ProjectEnvironment = environment,
            Dashboard = new DashboardSettings { Enabled = dashboard, UiPort = 0, OtlpGrpcPort = 0, OtlpHttpPort = 0 },
        });
    }
}

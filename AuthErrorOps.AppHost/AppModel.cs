using AuthErrorOps.AppHost.Hosting;

namespace AuthErrorOps.AppHost;

/// <summary>The AuthErrorOps application, as an Aspire AppHost would declare it. Program.cs runs it; tests build it with overrides.</summary>
public static class AppModel
{
    public static DistributedApplicationBuilder AddAuthErrorOps(this DistributedApplicationBuilder builder, int relayReplicas = 1, int consumerReplicas = 1)
    {
        var postgres = builder.AddPostgres("postgres");
        var authdb = postgres.AddDatabase("authdb");
        var messaging = builder.AddRabbitMQ("messaging").WithManagementPlugin();

        builder.AddProject("ingest", "AuthErrorOps.Ingest")
            .WithReference(authdb).WithReference(messaging)
            .WaitFor(authdb).WaitFor(messaging)
            .WithHttpHealthCheck("/health");

        builder.AddProject("relay", "AuthErrorOps.Relay")
            .WithReference(authdb).WithReference(messaging)
            .WaitFor(authdb).WaitFor(messaging)
            .WithHttpHealthCheck("/health")
            .WithReplicas(relayReplicas);

        builder.AddProject("consumer", "AuthErrorOps.Consumer")
            .WithReference(authdb).WithReference(messaging)
            .WaitFor(authdb).WaitFor(messaging)
            .WithHttpHealthCheck("/health")
            .WithReplicas(consumerReplicas);

        return builder;
    }
}

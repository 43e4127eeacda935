namespace AuthErrorOps.Dashboard.Hosting;

/// <summary>
/// The AppHost owns the process: the dashboard neither listens for Ctrl+C/SIGTERM nor prints "Application started".
/// It stops when the AppHost disposes it.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

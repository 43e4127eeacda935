using System.Diagnostics;

namespace AuthErrorOps.AppHost.Infrastructure;

/// <summary>
/// A detached shell that outlives a crashed owner: when the owning process dies without
/// stopping its server (kill -9, test host crash), the watchdog runs the cleanup script.
/// A normal stop ends the watchdog first.
/// </summary>
internal sealed class OrphanWatchdog : IDisposable
{
    private readonly Process _process;

    private OrphanWatchdog(Process process) => _process = process;

    public static OrphanWatchdog Start(string cleanupScript)
    {
        const string loop = """
            exec </dev/null >/dev/null 2>&1
            owner="$1"
            while kill -0 "$owner" 2>/dev/null; do sleep 1; done
            """;
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            // Pipes, not our own stdio: the test runner must never wait on a descriptor the watchdog holds.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "bash", "-c", loop + "\n" + cleanupScript, "autherrorops-watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the orphan watchdog (setsid bash).");
        return new OrphanWatchdog(process);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    /// <summary>Quotes a value for a POSIX shell script.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
}

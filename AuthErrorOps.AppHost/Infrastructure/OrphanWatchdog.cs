using System.Diagnostics;

namespace AuthErrorOps.AppHost.Infrastructure;

/// <summary>
/// A detached shell that outlives a crashed owner: when the owning process dies without
/// stopping its server (kill -9, test host crash), the watchdog runs the cleanup script.
/// A normal stop ends the watchdog first. It waits on its standard input, a pipe only the owner
/// holds: the kernel closes it when the owner dies, however it dies, and the blocked read returns.
/// Polling the owner once a second forked `sleep` five times a second for a system's five
/// watchdogs, about 2 % of this machine's two cores under load (docs/performance.md).
/// </summary>
internal sealed class OrphanWatchdog : IDisposable
{
    private readonly Process _process;

    private OrphanWatchdog(Process process) => _process = process;

    public static OrphanWatchdog Start(string cleanupScript)
    {
        // Reads until end of file: the owner never writes, so that is the owner's death. (Dispose kills the watchdog instead.)
        const string wait = """
            exec >/dev/null 2>&1
            while read -r _; do :; done
            exec </dev/null
            """;
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            // Pipes, not our own stdio: the test runner must never wait on a descriptor the watchdog holds.
            // The standard input pipe is also the owner's lifeline (see above); .NET opens it close-on-exec,
            // so no other child inherits its write end.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // $0 and $1 only label the process in ps: the script does not read the owner's pid.
        foreach (var argument in new[] { "bash", "-c", wait + "\n" + cleanupScript, "autherrorops-watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
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

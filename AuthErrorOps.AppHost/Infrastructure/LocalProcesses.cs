using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AuthErrorOps.AppHost.Infrastructure;

/// <summary>Process, port and file-system facts the local servers need.</summary>
internal static partial class LocalProcesses
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigQuit = 3;

    /// <summary>Every instance folder lives here, so leaks are easy to find: <c>pgrep -f autherrorops-</c>.</summary>
    public static string InstanceRoot { get; } = Path.Combine(Path.GetTempPath(), "autherrorops");

    public static bool IsRoot => Environment.IsPrivilegedProcess;

    public static string NewInstanceDirectory(string kind)
    {
        Directory.CreateDirectory(InstanceRoot);
        var path = Path.Combine(InstanceRoot, $"autherrorops-{kind}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A port the OS just handed out on loopback; the caller binds it soon after.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// True while the process runs. A zombie counts as dead: where PID 1 does not reap orphans
    /// (containers, sandboxes), a stopped server stays a zombie that <c>kill(pid, 0)</c> still finds.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0 || kill(pid, 0) != 0)
        {
            return false;
        }

        try
        {
            // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces or parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return File.Exists($"/proc/{pid}/stat") || !Directory.Exists("/proc");
        }
    }

    public static void Signal(int pid, int signal)
    {
        if (pid > 0)
        {
            _ = kill(pid, signal);
        }
    }

    public static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>First executable named <paramref name="name"/> on PATH or in <paramref name="extraDirectories"/>.</summary>
    public static string? FindExecutable(string name, IEnumerable<string> extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraDirectories)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    public static void DeleteDirectory(string path)
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException) when (attempt < 4)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Secrets on disk are readable by their owner only.</summary>
    public static void RestrictToOwner(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>The last lines of a log file, for error messages (the file may be deleted right after).</summary>
    public static string Tail(string path, int lines)
    {
        try
        {
            return string.Join('\n', File.ReadLines(path).TakeLast(lines));
        }
        catch (IOException exception)
        {
            return $"(unreadable: {exception.Message})";
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // One signal call; LibraryImport would require unsafe code for nothing.
    private static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
}

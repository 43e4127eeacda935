using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AuthErrorOps.AppHost.Infrastructure;

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>One running instance of a project: a child process on its own port, with its output kept.</summary>
public sealed class ProjectReplica : IAsyncDisposable
{
    private const int MaxLogLines = 2_000;

    private readonly Process _process;
    private readonly OrphanWatchdog _watchdog;
    private readonly ConcurrentQueue<string> _log = new();

    private ProjectReplica(string name, Process process, Uri url, OrphanWatchdog watchdog)
    {
        Name = name;
        _process = process;
        Url = url;
        _watchdog = watchdog;
    }

    /// <summary><c>ingest-1</c>, <c>ingest-2</c>, …: also the OTel service.instance.id.</summary>
    public string Name { get; }

    public Uri Url { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> Log => _log;

    /// <summary>Lines at warning level or worse are also shown on the AppHost console.</summary>
    public event Action<string>? ImportantLine;

    public static ProjectReplica Start(string name, string assemblyPath, IReadOnlyDictionary<string, string> environment)
    {
        var port = LocalProcesses.FreeLoopbackPort();
        var url = new Uri($"http://localhost:{port}");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(assemblyPath);
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        startInfo.Environment["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/');
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {assemblyPath}.");
        // A crashed AppHost must not leave services behind.
        var watchdog = OrphanWatchdog.Start(string.Create(CultureInfo.InvariantCulture, $"kill -TERM {process.Id}; sleep 5; kill -KILL {process.Id}"));
        var replica = new ProjectReplica(name, process, url, watchdog);
        process.OutputDataReceived += (_, e) => replica.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => replica.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return replica;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > MaxLogLines && _log.TryDequeue(out _))
        {
        }

        if (line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
        {
            ImportantLine?.Invoke(line);
        }
    }

    /// <summary>What explains a failure: the output from the last error entry on (its message comes before the stack), else the tail.</summary>
    public string FailureExcerpt()
    {
        var lines = _log.ToArray();
        var lastError = Array.FindLastIndex(lines, line => line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal));
        var excerpt = lastError >= 0 ? lines.Skip(lastError).Take(12) : lines.TakeLast(15);
        return string.Join('\n', excerpt);
    }

    public async Task<bool> IsHealthyAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(Url, path), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM (graceful: the relay settles its batch), then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            LocalProcesses.Signal(_process.Id, LocalProcesses.SigTerm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _watchdog.Dispose();
    }

    /// <summary>kill -9, as a crash would.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}

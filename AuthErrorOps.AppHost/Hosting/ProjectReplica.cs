using System.Diagnostics;
using System.Globalization;
using AuthErrorOps.AppHost.Infrastructure;

namespace AuthErrorOps.AppHost.Hosting;

/// <summary>
/// One replica of a project: a child process on its own port, which keeps that port and its
/// environment across stop, start and restart. Its output goes to the <see cref="ConsoleLogStore"/>.
/// </summary>
public sealed class ProjectReplica : IAsyncDisposable
{
    private readonly string _assemblyPath;
    private readonly ConsoleLogStore _logs;
    private Process? _process;
    private OrphanWatchdog? _watchdog;
    private long _lastHealthProbe;

    internal ProjectReplica(ProjectResource resource, string name, string assemblyPath, IReadOnlyDictionary<string, string> environment, ConsoleLogStore logs)
    {
        Resource = resource;
        Name = name;
        _assemblyPath = assemblyPath;
        _logs = logs;
        Url = new Uri($"http://localhost:{LocalProcesses.FreeLoopbackPort()}");
        Environment = new Dictionary<string, string>(environment, StringComparer.Ordinal) { ["ASPNETCORE_URLS"] = Url.ToString().TrimEnd('/') };
    }

    public ProjectResource Resource { get; }

    /// <summary><c>ingest-1</c>, <c>ingest-2</c>, …: also the OTel service.instance.id.</summary>
    public string Name { get; }

    public Uri Url { get; }

    /// <summary>Exactly what the process was given, secrets included.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public ResourceState State { get; internal set; } = ResourceState.NotStarted;

    public bool IsHealthy { get; internal set; }

    /// <summary>Time since the health endpoint last answered or failed to; null before the first probe.</summary>
    public TimeSpan? SinceHealthProbe => _lastHealthProbe == 0 ? null : Stopwatch.GetElapsedTime(_lastHealthProbe);

    public DateTimeOffset? StartedAt { get; private set; }

    public int? ExitCode { get; private set; }

    /// <summary>The current (or last) process; 0 before the first start.</summary>
    public int ProcessId { get; private set; }

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Raised when the process ends by itself (a crash, kill -9), not when we stop it.</summary>
    public event Action<ProjectReplica>? ExitedUnexpectedly;

    /// <summary>Lines at warning level or worse are also shown on the AppHost console.</summary>
    public event Action<string>? ImportantLine;

    internal void StartProcess()
    {
        if (!HasExited)
        {
            throw new InvalidOperationException($"{Name} is already running (pid {ProcessId}).");
        }

        _process?.Dispose();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(_assemblyPath)!,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(_assemblyPath);
        foreach (var (key, value) in Environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Keep(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => Keep(e.Data, isError: true);
        process.Exited += (_, _) => OnExited(process);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {_assemblyPath}.");
        }

        _process = process;
        ProcessId = process.Id;
        ExitCode = null;
        StartedAt = DateTimeOffset.UtcNow;
        // A crashed AppHost must not leave services behind.
        _watchdog = OrphanWatchdog.Start(string.Create(CultureInfo.InvariantCulture, $"kill -TERM {process.Id}; sleep 5; kill -KILL {process.Id}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void OnExited(Process process)
    {
        ExitCode = process.ExitCode;
        _logs.Append(Resource.Name, Name, $"[apphost] process {process.Id} exited with code {process.ExitCode}", isError: process.ExitCode != 0);
        if (State is ResourceState.Running or ResourceState.Starting)
        {
            IsHealthy = false;
            ExitedUnexpectedly?.Invoke(this);
        }
    }

    private void Keep(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        _logs.Append(Resource.Name, Name, line, isError);
        if (line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
        {
            ImportantLine?.Invoke(line);
        }
    }

    /// <summary>What explains a failure: the output from the last error entry on (its message comes before the stack), else the tail.</summary>
    public string FailureExcerpt()
    {
        var lines = _logs.Tail(Name, 400).ToArray();
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
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The probe's own timeout: a hung service is unhealthy, not a reason to stop probing.
            return false;
        }
        finally
        {
            _lastHealthProbe = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>SIGTERM (graceful: the relay settles its batch), then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        var process = _process;
        if (process is not null && !process.HasExited)
        {
            LocalProcesses.Signal(process.Id, LocalProcesses.SigTerm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _watchdog?.Dispose();
        _watchdog = null;
    }

    /// <summary>kill -9, as a crash would.</summary>
    public void Kill() => _process?.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process?.Dispose();
    }
}

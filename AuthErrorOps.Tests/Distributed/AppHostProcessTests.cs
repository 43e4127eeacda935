using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>The AppHost as a user runs it: its own process, stopped with Ctrl+C or killed.</summary>
public sealed partial class AppHostProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ctrl_C_stops_every_process_the_AppHost_started_within_a_bound()
    {
        using var apphost = new AppHostRun();
        var pids = await apphost.ResourceProcessIdsOnceStartedAsync();
        Assert.Equal(5, pids.Count); // postgres, messaging, ingest-1, relay-1, consumer-1
        Assert.All(pids, pid => Assert.True(LocalProcesses.IsAlive(pid), $"process {pid} is not running"));

        // A terminal's Ctrl+C signals the whole foreground process group: the services get it as well as the AppHost.
        var clock = Stopwatch.StartNew();
        await ExternalCommand.RunAsync("kill", ["-INT", "--", $"-{apphost.Process.Id}"], TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.True(apphost.Process.WaitForExit(TimeSpan.FromSeconds(45)), $"the AppHost did not exit within 45 s of SIGINT. Output:\n{apphost.Output}");
        await Eventually.HoldsAsync($"every child process ({string.Join(", ", pids)}) to be gone", () => Task.FromResult(pids.All(pid => !LocalProcesses.IsAlive(pid))), TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {clock.Elapsed}");
        Assert.Equal(0, apphost.Process.ExitCode);
        // The services stopping on the same Ctrl+C is no failure, and the AppHost must not report one.
        Assert.DoesNotContain("unexpectedly", apphost.Output, StringComparison.Ordinal);
        Assert.Contains("postgres: shared memory  on ", apphost.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_the_AppHost_leaves_no_process_or_folder_behind()
    {
        using var apphost = new AppHostRun();
        var pids = await apphost.ResourceProcessIdsOnceStartedAsync();
        Assert.Equal(5, pids.Count);
        // Instance folders are named after their owner's pid (<tmp>/autherrorops/autherrorops-pg-<pid>-…).
        var folders = LocalProcesses.InstanceRoot;
        string[] OwnFolders() => Directory.Exists(folders) ? Directory.GetDirectories(folders, $"*-{apphost.Process.Id}-*") : [];
        Assert.Equal(2, OwnFolders().Length); // PostgreSQL's and RabbitMQ's

        // No Ctrl+C, no cleanup of its own: only the watchdogs, which see their pipe from the AppHost close.
        LocalProcesses.Signal(apphost.Process.Id, LocalProcesses.SigKill);
        Assert.True(apphost.Process.WaitForExit(TimeSpan.FromSeconds(10)), "the AppHost did not die of SIGKILL within 10 s");
        await Eventually.HoldsAsync($"every child process ({string.Join(", ", pids)}) to be gone after the AppHost was killed",
            () => Task.FromResult(pids.All(pid => !LocalProcesses.IsAlive(pid))), TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync($"the AppHost's instance folders under {folders} to be deleted",
            () => Task.FromResult(OwnFolders().Length == 0), TimeSpan.FromSeconds(30));
    }

    [GeneratedRegex(@"dashboard: (?<url>http://\S+)")]
    private static partial Regex DashboardLine();

    /// <summary>
    /// The built AppHost, as `dotnet run` starts it, on free dashboard ports, with its output collected.
    /// In its own process group (`setsid`); `env --default-signal=INT` undoes a SIGINT that a non-interactive parent (CI's shell) left ignored.
    /// Disposing kills the AppHost if it still runs; its watchdogs clean up after it.
    /// </summary>
    private sealed class AppHostRun : IDisposable
    {
        private readonly string _token = Guid.NewGuid().ToString("N");
        private readonly StringWriter _output = new();
        private readonly TaskCompletionSource<string> _dashboardUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AppHostRun()
        {
            // setsid: its own process group, which the Ctrl+C test signals as a terminal would.
            var startInfo = new ProcessStartInfo("setsid")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var argument in new[] { "env", "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "AuthErrorOps.AppHost.dll") })
            {
                startInfo.ArgumentList.Add(argument);
            }

            startInfo.Environment["AppHost__BrowserToken"] = _token;
            startInfo.Environment["AppHost__Dashboard__UiPort"] = "0";
            startInfo.Environment["AppHost__Dashboard__OtlpGrpcPort"] = "0";
            startInfo.Environment["AppHost__Dashboard__OtlpHttpPort"] = "0";
            Process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the AppHost.");
            Process.OutputDataReceived += (_, e) => OnLine(e.Data);
            Process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        /// <summary>Waits until the AppHost says the application started, then reads its resources' process ids from the control API.</summary>
        public async Task<List<int>> ResourceProcessIdsOnceStartedAsync()
        {
            var dashboardUrl = await _dashboardUrl.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            using var dashboard = new HttpClient { BaseAddress = new Uri(dashboardUrl) };
            dashboard.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            try
            {
                await Eventually.HoldsAsync("the AppHost to print that the application started",
                    () => Task.FromResult(Output.Contains("Distributed application started", StringComparison.Ordinal) || Process.HasExited), TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException timeout)
            {
                throw new TimeoutException($"{timeout.Message} Its output so far:\n{Output}", timeout);
            }

            if (Process.HasExited)
            {
                Assert.Fail($"The AppHost exited ({Process.ExitCode}) before the application started. Output:\n{Output}");
            }
            return (await ControlApi.ResourcesAsync(dashboard, Ct)).Where(resource => resource.ProcessId is not null).Select(resource => resource.ProcessId!.Value).Distinct().ToList();
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                // The AppHost alone, as in the kill test: its watchdogs then stop the servers and delete their folders.
                // Killing the whole tree would take the watchdogs too and leave PostgreSQL and RabbitMQ running.
                Process.Kill(entireProcessTree: false);
                Process.WaitForExit(TimeSpan.FromSeconds(10));
            }

            Process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.WriteLine(line);
            }

            if (DashboardLine().Match(line) is { Success: true } match)
            {
                _dashboardUrl.TrySetResult(match.Groups["url"].Value);
            }
        }
    }
}

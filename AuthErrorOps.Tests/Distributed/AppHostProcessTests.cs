using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Distributed;

/// <summary>The AppHost as a user runs it: its own process, stopped with Ctrl+C.</summary>
public sealed partial class AppHostProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ctrl_C_stops_every_process_the_AppHost_started_within_a_bound()
    {
        var token = Guid.NewGuid().ToString("N");
        var output = new StringWriter();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var apphost = StartAppHost(token, line =>
        {
            output.WriteLine(line);
            if (DashboardLine().Match(line) is { Success: true } match)
            {
                ready.TrySetResult(match.Groups["url"].Value);
            }
        });
        try
        {
            var dashboardUrl = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            using var dashboard = new HttpClient { BaseAddress = new Uri(dashboardUrl) };
            dashboard.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Eventually.HoldsAsync("the AppHost to print that the application started", () => Task.FromResult(output.ToString().Contains("Distributed application started", StringComparison.Ordinal)), TimeSpan.FromSeconds(120));
            var pids = (await ControlApi.ResourcesAsync(dashboard, Ct)).Where(resource => resource.ProcessId is not null).Select(resource => resource.ProcessId!.Value).Distinct().ToList();
            Assert.Equal(5, pids.Count); // postgres, messaging, ingest-1, relay-1, consumer-1
            Assert.All(pids, pid => Assert.True(LocalProcesses.IsAlive(pid), $"process {pid} is not running"));

            var clock = Stopwatch.StartNew();
            LocalProcesses.Signal(apphost.Id, LocalProcesses.SigInt);
            Assert.True(apphost.WaitForExit(TimeSpan.FromSeconds(45)), $"the AppHost did not exit within 45 s of SIGINT. Output:\n{output}");
            await Eventually.HoldsAsync($"every child process ({string.Join(", ", pids)}) to be gone", () => Task.FromResult(pids.All(pid => !LocalProcesses.IsAlive(pid))), TimeSpan.FromSeconds(5));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {clock.Elapsed}");
            Assert.Equal(0, apphost.ExitCode);
        }
        finally
        {
            if (!apphost.HasExited)
            {
                apphost.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Killing_the_AppHost_leaves_no_process_or_folder_behind()
    {
        var token = Guid.NewGuid().ToString("N");
        var output = new StringWriter();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var apphost = StartAppHost(token, line =>
        {
            output.WriteLine(line);
            if (DashboardLine().Match(line) is { Success: true } match)
            {
                ready.TrySetResult(match.Groups["url"].Value);
            }
        });
        try
        {
            var dashboardUrl = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            using var dashboard = new HttpClient { BaseAddress = new Uri(dashboardUrl) };
            dashboard.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Eventually.HoldsAsync("the AppHost to print that the application started", () => Task.FromResult(output.ToString().Contains("Distributed application started", StringComparison.Ordinal)), TimeSpan.FromSeconds(120));
            var pids = (await ControlApi.ResourcesAsync(dashboard, Ct)).Where(resource => resource.ProcessId is not null).Select(resource => resource.ProcessId!.Value).Distinct().ToList();
            Assert.Equal(5, pids.Count);
            // Instance folders are named after their owner's pid (<tmp>/autherrorops/autherrorops-pg-<pid>-…).
            var folders = LocalProcesses.InstanceRoot;
            string[] OwnFolders() => Directory.Exists(folders) ? Directory.GetDirectories(folders, $"*-{apphost.Id}-*") : [];
            Assert.Equal(2, OwnFolders().Length); // PostgreSQL's and RabbitMQ's

            // No Ctrl+C, no cleanup of its own: only the watchdogs, which see their pipe from the AppHost close.
            LocalProcesses.Signal(apphost.Id, LocalProcesses.SigKill);
            Assert.True(apphost.WaitForExit(TimeSpan.FromSeconds(10)), "the AppHost did not die of SIGKILL within 10 s");
            await Eventually.HoldsAsync($"every child process ({string.Join(", ", pids)}) to be gone after the AppHost was killed",
                () => Task.FromResult(pids.All(pid => !LocalProcesses.IsAlive(pid))), TimeSpan.FromSeconds(30));
            await Eventually.HoldsAsync($"the AppHost's instance folders under {folders} to be deleted",
                () => Task.FromResult(OwnFolders().Length == 0), TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!apphost.HasExited)
            {
                apphost.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// The built AppHost, as `dotnet run` starts it, on free dashboard ports. `env --default-signal=INT`
    /// undoes a SIGINT that a non-interactive parent (CI's shell) left ignored.
    /// </summary>
    private static Process StartAppHost(string token, Action<string> onLine)
    {
        var startInfo = new ProcessStartInfo("env")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "AuthErrorOps.AppHost.dll") })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["AppHost__BrowserToken"] = token;
        startInfo.Environment["AppHost__Dashboard__UiPort"] = "0";
        startInfo.Environment["AppHost__Dashboard__OtlpGrpcPort"] = "0";
        startInfo.Environment["AppHost__Dashboard__OtlpHttpPort"] = "0";
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the AppHost.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { onLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { onLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [GeneratedRegex(@"dashboard: (?<url>http://\S+)")]
    private static partial Regex DashboardLine();
}

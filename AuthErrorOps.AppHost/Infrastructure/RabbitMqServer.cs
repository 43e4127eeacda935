using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace AuthErrorOps.AppHost.Infrastructure;

public sealed record RabbitMqServerOptions
{
    /// <summary>Keeps the node's data here across runs; a fresh temporary folder (deleted on stop) when null.</summary>
    public string? DataDirectory { get; init; }

    public bool ManagementPlugin { get; init; } = true;

    /// <summary>Where Debian's package keeps the real (non-wrapper) scripts.</summary>
    public string InstallDirectory { get; init; } = "/usr/lib/rabbitmq/bin";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// A RabbitMQ node run from the machine's installation, isolated from any other node on the
/// machine: its own node name, Erlang cookie (HOME), ports (AMQP, distribution, epmd,
/// management), all bound to 127.0.0.1, and its own data folder.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    public const string InstallHint = "sudo apt-get install -y rabbitmq-server";
    public const string Username = "guest";

    private readonly RabbitMqServerOptions _options;
    private readonly ILogger _logger;
    private readonly string _instanceDirectory;
    private readonly HttpClient _management;
    private OrphanWatchdog? _watchdog;
    private int _stopped;

    private RabbitMqServer(RabbitMqServerOptions options, ILogger logger, string instanceDirectory, string nodeName, string password)
    {
        _options = options;
        _logger = logger;
        _instanceDirectory = instanceDirectory;
        NodeName = nodeName;
        Password = password;
        AmqpPort = LocalProcesses.FreeLoopbackPort();
        DistributionPort = LocalProcesses.FreeLoopbackPort();
        EpmdPort = LocalProcesses.FreeLoopbackPort();
        ManagementPort = LocalProcesses.FreeLoopbackPort();
        CtlDistributionPort = LocalProcesses.FreeLoopbackPort();
        _management = new HttpClient { BaseAddress = ManagementUri, Timeout = TimeSpan.FromSeconds(10) };
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{password}")));
    }

    public string NodeName { get; }

    public string Password { get; }

    public int AmqpPort { get; }

    public int ManagementPort { get; }

    public int DistributionPort { get; }

    public int EpmdPort { get; }

    public int CtlDistributionPort { get; }

    public Uri ManagementUri => new($"http://127.0.0.1:{ManagementPort}/");

    /// <summary>The Erlang VM's PID (beam.smp), read from the node's pid file.</summary>
    public int ProcessId { get; private set; }

    public bool IsPersistent => _options.DataDirectory is not null;

    private string PidFile => Path.Combine(_instanceDirectory, "rabbitmq.pid");

    /// <summary><c>amqp://guest:pw@127.0.0.1:port/vhost</c>; the default vhost when none is given.</summary>
    public string GetConnectionString(string? virtualHost = null) =>
        $"amqp://{Username}:{Uri.EscapeDataString(Password)}@127.0.0.1:{AmqpPort}" + (virtualHost is null ? "" : "/" + Uri.EscapeDataString(virtualHost));

    public static async Task<RabbitMqServer> StartAsync(RabbitMqServerOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new RabbitMqServerOptions();
        logger ??= NullLogger.Instance;
        var server = File.Exists(Path.Combine(options.InstallDirectory, "rabbitmq-server"))
            ? await CreateAsync(options, logger, cancellationToken)
            : throw new InvalidOperationException($"RabbitMQ (>= 3.10) was not found at {options.InstallDirectory}. Install it: {InstallHint}");
        try
        {
            await server.StartNodeAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task<RabbitMqServer> CreateAsync(RabbitMqServerOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var directory = options.DataDirectory is { } persistent ? Path.GetFullPath(persistent) : LocalProcesses.NewInstanceDirectory("rmq");
        Directory.CreateDirectory(directory);

        // A persistent node keeps its name and password: Mnesia data is tied to the node name.
        var identityFile = Path.Combine(directory, "node-identity");
        string nodeName, password;
        if (File.Exists(identityFile))
        {
            var lines = await File.ReadAllLinesAsync(identityFile, cancellationToken);
            (nodeName, password) = (lines[0], lines[1]);
        }
        else
        {
            nodeName = $"autherrorops-{Guid.NewGuid().ToString("N")[..10]}@localhost";
            password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            await File.WriteAllLinesAsync(identityFile, [nodeName, password], cancellationToken);
            LocalProcesses.RestrictToOwner(identityFile);
        }

        return new RabbitMqServer(options, logger, directory, nodeName, password);
    }

    private async Task StartNodeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(_instanceDirectory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_instanceDirectory, "log"));
        // default_user/default_pass only take effect when the node's database is created.
        var configuration = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"listeners.tcp.default = 127.0.0.1:{AmqpPort}")
            .AppendLine("loopback_users = none")
            .AppendLine(CultureInfo.InvariantCulture, $"default_user = {Username}")
            .AppendLine(CultureInfo.InvariantCulture, $"default_pass = {Password}")
            // Quorum queues keep what their write-ahead log holds in memory until the log rolls over, by
            // default at 512 MB: the node grew from ~135 MB to 760-930 MB in every 5-minute run at 3,000/s.
            .AppendLine("raft.wal_max_size_bytes = 67108864");
        if (_options.ManagementPlugin)
        {
            configuration.AppendLine(CultureInfo.InvariantCulture, $"management.tcp.port = {ManagementPort}").AppendLine("management.tcp.ip = 127.0.0.1");
        }

        await File.WriteAllTextAsync(Path.Combine(_instanceDirectory, "rabbitmq.conf"), configuration.ToString(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_instanceDirectory, "enabled_plugins"), _options.ManagementPlugin ? "[rabbitmq_management]." : "[].", cancellationToken);
        File.Delete(PidFile);

        // The detached node must not inherit our stdio (a test runner would wait on it): output goes to a file.
        await ExternalCommand.RunAsync("/bin/sh",
            ["-c", "exec \"$0\" -detached >\"$1\" 2>&1 </dev/null", Path.Combine(_options.InstallDirectory, "rabbitmq-server"), Path.Combine(_instanceDirectory, "log", "detached.out")],
            TimeSpan.FromSeconds(30), Environment(), cancellationToken: cancellationToken);

        var started = Stopwatch.StartNew();
        ProcessId = await WaitForPidAsync(cancellationToken);
        _watchdog = OrphanWatchdog.Start(CleanupScript());
        await WaitForAmqpAsync(cancellationToken);
        if (_options.ManagementPlugin)
        {
            await WaitForManagementAsync(cancellationToken);
        }

        _logger.LogInformation("RabbitMQ node {Node} started on 127.0.0.1:{Port} in {Elapsed:0.0} s (pid {Pid}, management {Management})",
            NodeName, AmqpPort, started.Elapsed.TotalSeconds, ProcessId, _options.ManagementPlugin ? ManagementUri : "off");
    }

    // The Erlang VM takes its allocators' carriers from 1 GB of address space reserved at start (a "super carrier"), and
    // from the OS only once that is full. Left to map and unmap carriers through the OS, the node spent a seventh of its
    // CPU at 3,000 events/s in page faults and munmap, and publishing 100,000 messages cost it 9.2-10.5 s of CPU against
    // 6.0 s (docs/performance.md). Touched pages stay resident: the node's memory is its high-water mark.
    internal const string MemoryCarrierArguments = "+MMscs 1024 +MMsco false";

    private Dictionary<string, string> Environment()
    {
        var localOnly = "-kernel inet_dist_use_interface {127,0,0,1}";
        var port = (int value) => value.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            // Our own HOME gives the node (and any rabbitmqctl we run) its own Erlang cookie.
            ["HOME"] = _instanceDirectory,
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port(AmqpPort),
            ["RABBITMQ_DIST_PORT"] = port(DistributionPort),
            ["RABBITMQ_CTL_DIST_PORT_MIN"] = port(CtlDistributionPort),
            ["RABBITMQ_CTL_DIST_PORT_MAX"] = port(CtlDistributionPort),
            ["ERL_EPMD_PORT"] = port(EpmdPort),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_instanceDirectory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_instanceDirectory, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_instanceDirectory, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = PidFile,
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_instanceDirectory, "rabbitmq.conf"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = $"{localOnly} {MemoryCarrierArguments}",
            ["RABBITMQ_CTL_ERL_ARGS"] = localOnly,
        };
    }

    private async Task<int> WaitForPidAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(PidFile) && int.TryParse((await File.ReadAllTextAsync(PidFile, cancellationToken)).Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                return pid;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"RabbitMQ node {NodeName} wrote no pid file within {_options.StartTimeout}. {LogHint()}");
    }

    private async Task WaitForAmqpAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(GetConnectionString()), AutomaticRecoveryEnabled = false, RequestedConnectionTimeout = TimeSpan.FromSeconds(5) };
        await WaitUntilAsync("accept AMQP connections", async () =>
        {
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return true;
        }, cancellationToken);
    }

    private Task WaitForManagementAsync(CancellationToken cancellationToken) =>
        WaitUntilAsync("serve the management API", async () =>
        {
            using var response = await _management.GetAsync("api/overview", cancellationToken);
            return response.IsSuccessStatusCode;
        }, cancellationToken);

    private async Task WaitUntilAsync(string what, Func<Task<bool>> probe, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (!LocalProcesses.IsAlive(ProcessId))
            {
                throw new InvalidOperationException($"RabbitMQ node {NodeName} (pid {ProcessId}) exited while starting. {LogHint()}");
            }

            try
            {
                if (await probe())
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = exception;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"RabbitMQ node {NodeName} did not {what} on 127.0.0.1 within {_options.StartTimeout}. {LogHint()}", last);
    }

    /// <summary>Creates a virtual host with full permissions for the default user (idempotent).</summary>
    public async Task CreateVirtualHostAsync(string name, CancellationToken cancellationToken = default)
    {
        var escaped = Uri.EscapeDataString(name);
        using (var created = await _management.PutAsync($"api/vhosts/{escaped}", null, cancellationToken))
        {
            created.EnsureSuccessStatusCode();
        }

        using var permitted = await _management.PutAsJsonAsync(
            $"api/permissions/{escaped}/{Username}", new { configure = ".*", write = ".*", read = ".*" }, cancellationToken);
        permitted.EnsureSuccessStatusCode();
    }

    /// <summary>Evaluates an Erlang expression on the node (<c>rabbitmqctl eval</c>), e.g. to read a setting as the node applied it.</summary>
    public Task<string> EvalAsync(string expression, CancellationToken cancellationToken = default) =>
        ExternalCommand.RunAsync(Path.Combine(_options.InstallDirectory, "rabbitmqctl"), ["-n", NodeName, "eval", expression],
            TimeSpan.FromSeconds(60), Environment(), cancellationToken: cancellationToken);

    /// <summary>
    /// Kills the node (as a crash would) and starts it again on the same ports with the same
    /// data, so clients reconnect to the same address. For failure tests.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        LocalProcesses.Signal(ProcessId, LocalProcesses.SigKill);
        if (!await LocalProcesses.WaitForExitAsync(ProcessId, TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"RabbitMQ node {NodeName} (pid {ProcessId}) did not die within 30 s of SIGKILL.");
        }

        _watchdog?.Dispose();
        await StartNodeAsync(cancellationToken);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        if (ProcessId > 0 && LocalProcesses.IsAlive(ProcessId))
        {
            // A graceful stop takes ~8 s; a throwaway node's data is deleted anyway.
            LocalProcesses.Signal(ProcessId, IsPersistent ? LocalProcesses.SigTerm : LocalProcesses.SigKill);
            if (!await LocalProcesses.WaitForExitAsync(ProcessId, TimeSpan.FromSeconds(60)))
            {
                LocalProcesses.Signal(ProcessId, LocalProcesses.SigKill);
                await LocalProcesses.WaitForExitAsync(ProcessId, TimeSpan.FromSeconds(10));
            }
        }

        await StopEpmdAsync();
        _watchdog?.Dispose();
        _management.Dispose();
        if (!IsPersistent)
        {
            LocalProcesses.DeleteDirectory(_instanceDirectory);
        }

        _logger.LogInformation("RabbitMQ node {Node} stopped", NodeName);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    // The node starts its own port mapper on our epmd port; it outlives the node unless told to stop.
    private async Task StopEpmdAsync()
    {
        var epmd = LocalProcesses.FindExecutable("epmd", Directory.Exists("/usr/lib/erlang") ? Directory.GetDirectories("/usr/lib/erlang", "erts-*").Select(d => Path.Combine(d, "bin")) : []);
        if (epmd is null)
        {
            return;
        }

        // epmd refuses "-kill" while it still lists the node: it notices the killed VM's socket closing a moment later.
        for (var attempt = 0; attempt < 25 && LocalProcesses.IsListening(EpmdPort); attempt++)
        {
            try
            {
                await ExternalCommand.RunAsync(epmd, ["-kill"], TimeSpan.FromSeconds(10), Environment(), throwOnFailure: false);
            }
            catch (TimeoutException exception)
            {
                _logger.LogWarning(exception, "Could not stop epmd on port {Port}", EpmdPort);
            }

            await Task.Delay(200);
        }
    }

    private string CleanupScript()
    {
        var signal = IsPersistent ? "TERM" : "KILL";
        var removal = IsPersistent ? "" : $"rm -rf {OrphanWatchdog.Quote(_instanceDirectory)}";
        return $"""
            pid=$(cat {OrphanWatchdog.Quote(PidFile)} 2>/dev/null); [ -n "$pid" ] && kill -{signal} "$pid"
            for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
            for i in $(seq 1 20); do ERL_EPMD_PORT={EpmdPort} epmd -kill && break; sleep 0.5; done
            {removal}
            """;
    }

    private string LogHint()
    {
        var logs = Path.Combine(_instanceDirectory, "log");
        var tails = Directory.Exists(logs)
            ? Directory.GetFiles(logs).Select(file => $"--- {Path.GetFileName(file)}\n{LocalProcesses.Tail(file, 15)}")
            : [];
        return $"Logs: {logs}\n{string.Join('\n', tails)}";
    }
}

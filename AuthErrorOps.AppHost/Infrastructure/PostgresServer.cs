using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AuthErrorOps.AppHost.Infrastructure;

public sealed record PostgresServerOptions
{
    /// <summary>Folder with initdb/pg_ctl/postgres; searched on PATH and in /usr/lib/postgresql/*/bin otherwise.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Keeps the cluster here across runs; a fresh temporary folder (deleted on stop) when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Durable servers fsync; throwaway test servers need not.</summary>
    public bool Durable { get; init; } = true;

    public int MaxConnections { get; init; } = 200;

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A PostgreSQL server run from the machine's binaries on a free loopback port, as the
/// <c>postgres</c> user when we are root (PostgreSQL refuses root). Scram passwords on TCP.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string InstallHint = "sudo apt-get install -y postgresql";
    private const string Superuser = "postgres";

    private readonly PostgresServerOptions _options;
    private readonly ILogger _logger;
    private readonly string _instanceDirectory;
    private readonly string _pgCtl;
    private OrphanWatchdog? _watchdog;
    private int _stopped;

    private PostgresServer(PostgresServerOptions options, ILogger logger, string instanceDirectory, string pgCtl, string password, int port)
    {
        _options = options;
        _logger = logger;
        _instanceDirectory = instanceDirectory;
        _pgCtl = pgCtl;
        Password = password;
        Port = port;
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    public string Username => Superuser;

    public string Password { get; }

    public string DataDirectory => Path.Combine(_instanceDirectory, "data");

    /// <summary>The postmaster's PID, read from <c>postmaster.pid</c>.</summary>
    public int ProcessId { get; private set; }

    /// <summary>The size of the server's buffer cache (<c>shared_buffers</c>), chosen at start by <see cref="BufferCacheMegabytes"/>.</summary>
    public int SharedBuffersMegabytes { get; private set; }

    public bool IsPersistent => _options.DataDirectory is not null;

    public string GetConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = Username,
        Password = Password,
        Database = database,
    }.ConnectionString;

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new PostgresServerOptions();
        logger ??= NullLogger.Instance;
        var binDirectory = FindBinDirectory(options.BinDirectory);

        var instanceDirectory = options.DataDirectory is { } persistent ? Path.GetFullPath(persistent) : LocalProcesses.NewInstanceDirectory("pg");
        Directory.CreateDirectory(instanceDirectory);
        var passwordFile = Path.Combine(instanceDirectory, "password");
        var password = File.Exists(passwordFile) ? (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim() : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var server = new PostgresServer(options, logger, instanceDirectory, Path.Combine(binDirectory, "pg_ctl"), password, LocalProcesses.FreeLoopbackPort());
        try
        {
            await server.InitializeAsync(binDirectory, passwordFile, cancellationToken);
            await server.StartServerAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(string binDirectory, string passwordFile, CancellationToken cancellationToken)
    {
        if (!File.Exists(passwordFile))
        {
            await File.WriteAllTextAsync(passwordFile, Password, cancellationToken);
            LocalProcesses.RestrictToOwner(passwordFile);
        }

        if (LocalProcesses.IsRoot)
        {
            await ExternalCommand.RunAsync("chown", ["-R", $"{Superuser}:{Superuser}", _instanceDirectory], TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
        }

        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        string[] initdb =
        [
            Path.Combine(binDirectory, "initdb"), "-D", DataDirectory, "-U", Superuser, "--pwfile", passwordFile,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
            .. IsPersistent ? Array.Empty<string>() : ["--no-sync"],
        ];
        await RunAsPostgresAsync(initdb, TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Huge pages of 2 MB that hold the larger buffer cache with the rest of the shared memory (~540 pages) and some to spare.</summary>
    public const int HugePagesForLargeBufferCache = 600;

    /// <summary>
    /// 1 GB of buffers when the kernel's huge-page pool has room for them, 256 MB otherwise. At 3,000 events/s
    /// the default 128 MB made backends write dirty pages out and read them back from the OS cache, and 1 GB on
    /// 4-KB pages cost each backend more in page faults and TLB misses than it saved; on huge pages 1 GB kept the
    /// pipeline up more often than 256 MB (docs/decisions.md, "PostgreSQL's buffer cache").
    /// </summary>
    public static int BufferCacheMegabytes(string meminfo)
    {
        long Kilobytes(string key) => meminfo.Split('\n')
            .Where(line => line.StartsWith(key, StringComparison.Ordinal))
            .Select(line => long.Parse(line[key.Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture))
            .FirstOrDefault();

        var freeHugePageMegabytes = Kilobytes("HugePages_Free:") * Kilobytes("Hugepagesize:") / 1024;
        return freeHugePageMegabytes >= HugePagesForLargeBufferCache * 2 ? 1024 : 256;
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        SharedBuffersMegabytes = BufferCacheMegabytes(File.Exists("/proc/meminfo") ? await File.ReadAllTextAsync("/proc/meminfo", cancellationToken) : "");
        var settings = string.Join(' ',
            $"-p {Port}",
            "-c listen_addresses=127.0.0.1",
            $"-k {_instanceDirectory}",
            $"-c max_connections={_options.MaxConnections}",
            // At 1,000 events/s the pipeline writes ~0.5 GB of WAL a minute: the default 1 GB forced a
            // checkpoint every minute or so, each followed by a burst of full-page writes (latency stalls).
            "-c max_wal_size=4GB",
            $"-c shared_buffers={SharedBuffersMegabytes}MB",
            // After each checkpoint a page's first change logs the whole page; at 3,000 events/s
            // autovacuum's first pass over auth_error then wrote ~100,000 of them within seconds.
            "-c wal_compression=lz4",
            _options.Durable ? "" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        await RunAsPostgresAsync(
            [_pgCtl, "-D", DataDirectory, "-l", Path.Combine(_instanceDirectory, "postgres.log"), "-w",
             "-t", ((int)_options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-o", settings, "start"],
            _options.StartTimeout + TimeSpan.FromSeconds(5), cancellationToken);

        ProcessId = ReadPostmasterPid();
        _watchdog = OrphanWatchdog.Start(CleanupScript());
        await WaitUntilAcceptingAsync(cancellationToken);
        _logger.LogInformation("PostgreSQL started on {Host}:{Port} (pid {Pid}, data {DataDirectory})", Host, Port, ProcessId, DataDirectory);
    }

    /// <summary>
    /// Whether the server's shared memory (its buffer cache and the rest) is mapped from the kernel's huge-page
    /// pool; null when the postmaster's memory map cannot be read. With the default <c>huge_pages=try</c>
    /// PostgreSQL falls back to 4-KB pages silently when the pool cannot hold it.
    /// </summary>
    public bool? SharedMemoryOnHugePages()
    {
        try
        {
            // The kernel names an anonymous shared mapping "/anon_hugepage" when it comes from the pool, "/dev/zero" otherwise.
            return File.ReadLines($"/proc/{ProcessId}/maps").Any(line => line.EndsWith("/anon_hugepage (deleted)", StringComparison.Ordinal));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>How many huge pages the server's shared memory needs (<c>shared_memory_size_in_huge_pages</c>).</summary>
    public async Task<int> SharedMemorySizeInHugePagesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(GetConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SHOW shared_memory_size_in_huge_pages", connection);
        return int.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Where the shared memory lives, for the developer: on 4-KB pages PostgreSQL spends more CPU per event under
    /// sustained load (docs/performance.md, "Figures of 4 December"), and nothing else tells which kind it got.
    /// Null when the postmaster's memory map cannot be read or the platform has no huge pages.
    /// </summary>
    public async Task<string?> DescribeSharedMemoryAsync(CancellationToken cancellationToken = default)
    {
        if (SharedMemoryOnHugePages() is not { } onHugePages || await SharedMemorySizeInHugePagesAsync(cancellationToken) is not (> 0 and var pages))
        {
            return null;
        }

        return onHugePages
            ? $"on huge pages ({pages} of 2 MB, {SharedBuffersMegabytes} MB of buffers)"
            : $"on 4-KB pages ({SharedBuffersMegabytes} MB of buffers); on huge pages PostgreSQL spends less CPU per event under sustained load. With {HugePagesForLargeBufferCache} huge pages of 2 MB free at its start it takes 1 GB of buffers on them: sudo sysctl -w vm.nr_hugepages={HugePagesForLargeBufferCache} (plus any already reserved; README, \"Benchmarks\")";
    }

    private async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(GetConnectionString("postgres") + ";Pooling=false;Timeout=5");
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException exception) when (DateTime.UtcNow < deadline)
            {
                _logger.LogDebug(exception, "PostgreSQL on port {Port} not accepting connections yet", Port);
                await Task.Delay(100, cancellationToken);
            }
            catch (NpgsqlException exception)
            {
                throw new TimeoutException($"PostgreSQL on 127.0.0.1:{Port} did not accept connections within {_options.StartTimeout}. Log:\n{LocalProcesses.Tail(Path.Combine(_instanceDirectory, "postgres.log"), 20)}", exception);
            }
        }
    }

    /// <summary>Creates a database; one that already exists is fine.</summary>
    public async Task CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!IsPlainIdentifier(name))
        {
            throw new ArgumentException($"Database name '{name}' must be lower-case letters, digits and underscores.", nameof(name));
        }

        await using var connection = new NpgsqlConnection(GetConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        // Identifiers cannot be parameters; the name is validated above.
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Already there: a persistent cluster or a concurrent caller.
        }
    }

    internal static bool IsPlainIdentifier(string name) =>
        name.Length is > 0 and <= 63 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') && !char.IsDigit(name[0]);

    /// <summary>Stops the server (fast shutdown) and starts it again on the same port with the same data. For failure tests and the control API.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        LocalProcesses.Signal(ProcessId, LocalProcesses.SigInt);
        if (!await LocalProcesses.WaitForExitAsync(ProcessId, TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"PostgreSQL (pid {ProcessId}) did not stop within 30 s of a fast shutdown.");
        }

        _watchdog?.Dispose();
        await StartServerAsync(cancellationToken);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        if (ProcessId > 0 && LocalProcesses.IsAlive(ProcessId))
        {
            // Fast shutdown keeps a persistent cluster consistent; a throwaway one can stop immediately.
            LocalProcesses.Signal(ProcessId, IsPersistent ? LocalProcesses.SigInt : LocalProcesses.SigQuit);
            if (!await LocalProcesses.WaitForExitAsync(ProcessId, TimeSpan.FromSeconds(30)))
            {
                _logger.LogWarning("PostgreSQL (pid {Pid}) did not stop within 30 s; killing it", ProcessId);
                LocalProcesses.Signal(ProcessId, LocalProcesses.SigKill);
                await LocalProcesses.WaitForExitAsync(ProcessId, TimeSpan.FromSeconds(10));
            }
        }

        _watchdog?.Dispose();
        if (!IsPersistent)
        {
            LocalProcesses.DeleteDirectory(_instanceDirectory);
        }

        _logger.LogInformation("PostgreSQL on port {Port} stopped", Port);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private string CleanupScript()
    {
        var pidFile = OrphanWatchdog.Quote(Path.Combine(DataDirectory, "postmaster.pid"));
        var signal = IsPersistent ? "INT" : "QUIT";
        var removal = IsPersistent ? "" : $"sleep 2; rm -rf {OrphanWatchdog.Quote(_instanceDirectory)}";
        return $"pid=$(head -n 1 {pidFile} 2>/dev/null); [ -n \"$pid\" ] && kill -{signal} \"$pid\"\n{removal}";
    }

    private int ReadPostmasterPid()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        var firstLine = File.ReadLines(pidFile).FirstOrDefault();
        return int.TryParse(firstLine, CultureInfo.InvariantCulture, out var pid)
            ? pid
            : throw new InvalidOperationException($"Could not read the postmaster PID from {pidFile}.");
    }

    private Task RunAsPostgresAsync(string[] command, TimeSpan timeout, CancellationToken cancellationToken) =>
        LocalProcesses.IsRoot
            ? ExternalCommand.RunAsync("runuser", ["-u", Superuser, "--", .. command], timeout, cancellationToken: cancellationToken)
            : ExternalCommand.RunAsync(command[0], command[1..], timeout, cancellationToken: cancellationToken);

    private static string FindBinDirectory(string? configured)
    {
        if (configured is not null)
        {
            return File.Exists(Path.Combine(configured, "initdb"))
                ? configured
                : throw new InvalidOperationException($"No initdb in the configured PostgreSQL folder '{configured}'. Install the server binaries: {InstallHint}");
        }

        // Debian and Ubuntu keep the server binaries out of PATH, one folder per major version.
        var versioned = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(directory => (Directory: Path.Combine(directory, "bin"), Version: int.TryParse(Path.GetFileName(directory), out var v) ? v : 0))
                .Where(candidate => candidate.Version >= 15)
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Directory)
            : [];
        var initdb = LocalProcesses.FindExecutable("initdb", versioned);
        return initdb is not null && File.Exists(Path.Combine(Path.GetDirectoryName(initdb)!, "pg_ctl"))
            ? Path.GetDirectoryName(initdb)!
            : throw new InvalidOperationException(
                $"PostgreSQL server binaries (initdb, pg_ctl, postgres; version 15 or later) were not found on PATH or in /usr/lib/postgresql/<version>/bin. Install them: {InstallHint}");
    }
}

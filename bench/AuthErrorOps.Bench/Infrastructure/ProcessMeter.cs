using System.Globalization;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>CPU time and resident memory of one process (or process group) at one moment.</summary>
public sealed record ProcessSample(string Name, double CpuSeconds, long? RssBytes);

/// <summary>What a process used over a measured phase.</summary>
public sealed record ProcessUsage(string Name, double CpuSeconds, double CpuShare, long? RssStartBytes, long? RssEndBytes);

/// <summary>
/// Reads <c>/proc</c>: utime+stime of each service, of beam.smp, and of PostgreSQL as a whole
/// (the postmaster, its live backends, and the reaped ones through its cutime+cstime).
/// Linux only; elsewhere it measures nothing.
/// </summary>
public sealed class ProcessMeter
{
    private const double ClockTicksPerSecond = 100;
    private readonly List<(string Name, Func<int?> Pid, bool WithChildren)> _processes = [];

    public IReadOnlyList<string> Names => _processes.Select(p => p.Name).ToList();

    public void AddService(string name, int pid) => _processes.Add((name, () => pid, false));

    /// <summary>Finds the postmaster by its data folder and the broker's beam.smp by its AMQP listening socket.</summary>
    public async Task AddServersAsync(NpgsqlDataSource dataSource, string amqpUri, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var dataDirectory = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT current_setting('data_directory')", cancellationToken: cancellationToken));
            var postmaster = FindProcess(pid => Comm(pid) == "postgres" && CommandLine(pid).Contains(dataDirectory!, StringComparison.Ordinal) && Comm(ParentOf(pid)) != "postgres");
            if (postmaster is { } postgresPid)
            {
                _processes.Add(("postgres", () => postgresPid, true));
            }
        }
        catch (PostgresException)
        {
            // Not a superuser: PostgreSQL's CPU stays unmeasured.
        }

        // beam.smp's command line names neither the node nor the port: find the one listening on the AMQP port.
        var listening = ListeningSocketInode(new Uri(amqpUri).Port);
        var beams = AllPids().Where(pid => Comm(pid) == "beam.smp").ToList();
        int? beam = listening is { } inode ? beams.Cast<int?>().FirstOrDefault(pid => HoldsSocket(pid!.Value, inode)) : null;
        beam ??= beams.Count == 1 ? beams[0] : null;
        if (beam is { } beamPid)
        {
            _processes.Add(("beam.smp", () => beamPid, false));
        }
    }

    public IReadOnlyList<ProcessSample> Sample()
    {
        var self = Environment.ProcessId;
        var samples = new List<ProcessSample> { new("bench (this tool)", CpuSeconds(self), RssBytes(self)) };
        foreach (var (name, pidOf, withChildren) in _processes)
        {
            if (pidOf() is not { } pid || !File.Exists($"/proc/{pid}/stat"))
            {
                continue;
            }

            var cpu = withChildren ? TreeCpuSeconds(pid) : CpuSeconds(pid);
            samples.Add(new ProcessSample(name, cpu, withChildren ? null : RssBytes(pid)));
        }

        return samples;
    }

    public static IReadOnlyList<ProcessUsage> Usage(IReadOnlyList<ProcessSample> start, IReadOnlyList<ProcessSample> end, TimeSpan elapsed) =>
        end.Select(last =>
        {
            var first = start.FirstOrDefault(s => s.Name == last.Name);
            var cpu = last.CpuSeconds - (first?.CpuSeconds ?? 0);
            return new ProcessUsage(last.Name, cpu, elapsed.TotalSeconds > 0 ? cpu / elapsed.TotalSeconds : 0, first?.RssBytes, last.RssBytes);
        }).ToList();

    /// <summary>CPU seconds the whole machine spent (all cores, user+system+irq), from /proc/stat.</summary>
    public static double MachineBusySeconds()
    {
        if (!File.Exists("/proc/stat"))
        {
            return 0;
        }

        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal
        return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / ClockTicksPerSecond;
    }

    /// <summary>
    /// Whether Linux shares the cores between sessions before threads (<c>kernel.sched_autogroup_enabled</c>): it
    /// decides how much of the cores each server gets under load, so runs are only comparable with the same setting.
    /// </summary>
    public static string SchedulerGrouping() => ProcText("/proc/sys/kernel/sched_autogroup_enabled") switch
    {
        null => "n/a",
        "0" => "autogroup off",
        _ => "autogroup on",
    };

    public static string LoadAverage() => ProcText("/proc/loadavg") ?? "n/a";

    /// <summary>
    /// Data the kernel holds to write back (<c>Dirty</c> in /proc/meminfo), null where it cannot be read. At 3,000
    /// events/s it climbs to hundreds of MB and is written out within a second or two every ~31 s, the latency
    /// waves' period (docs/performance.md, "Late afternoon of 4 December").
    /// </summary>
    public static double? DirtyPageCacheMegabytes() =>
        Meminfo() is { } fields && fields.TryGetValue("Dirty", out var kilobytes) ? kilobytes / 1024.0 : null;

    /// <summary>
    /// The kernel's pool of huge pages, read as the phase ends. PostgreSQL (huge_pages=try) maps its shared memory
    /// from it when the pool is big enough, which cut its CPU by a quarter at 3,000 events/s (docs/performance.md).
    /// </summary>
    public static string HugePages()
    {
        if (Meminfo() is not { } fields)
        {
            return "n/a";
        }

        var total = fields.GetValueOrDefault("HugePages_Total");
        // Free counts pages a mapping has reserved but not touched yet; those are taken too.
        var taken = total - fields.GetValueOrDefault("HugePages_Free") + fields.GetValueOrDefault("HugePages_Rsvd");
        return total == 0 ? "none reserved" : $"{total} reserved, {taken} taken";
    }

    /// <summary>The fields of /proc/meminfo by name (kB, or a count for the HugePages_ ones); null where there is none.</summary>
    private static Dictionary<string, long>? Meminfo() => File.Exists("/proc/meminfo")
        ? File.ReadLines("/proc/meminfo")
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => long.TryParse(parts[1].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture, out var value) ? value : 0, StringComparer.Ordinal)
        : null;

    /// <summary>A one-line kernel file, or null where the kernel has none (not Linux, or an older kernel).</summary>
    private static string? ProcText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    /// <summary>
    /// A parent's CPU with its children's: its own, its live children's and its reaped ones' (cutime+cstime). A child
    /// reaped while the children are read would be missed, or counted twice (a short bench phase once measured
    /// PostgreSQL at -0.05 s), so the reading is repeated until the parent's reaped time is the same on both sides of it.
    /// </summary>
    private static double TreeCpuSeconds(int pid)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reapedBefore = ReapedCpuSeconds(pid);
            var children = AllPids().Where(child => ParentOf(child) == pid).Sum(child => CpuSeconds(child));
            var reapedAfter = ReapedCpuSeconds(pid);
            if (reapedAfter == reapedBefore || attempt == 10)
            {
                return CpuSeconds(pid) + reapedAfter + children;
            }
        }
    }

    /// <summary>A process's own CPU (utime+stime).</summary>
    private static double CpuSeconds(int pid) => StatSeconds(pid, 11);

    /// <summary>The CPU of the children a process has reaped (cutime+cstime).</summary>
    private static double ReapedCpuSeconds(int pid) => StatSeconds(pid, 13);

    /// <summary>Two adjacent tick fields (indices into <see cref="StatFields"/>), in seconds; 0 once the process is gone.</summary>
    private static double StatSeconds(int pid, int field)
    {
        var fields = StatFields(pid);
        return fields.Length < 15
            ? 0
            : (double.Parse(fields[field], CultureInfo.InvariantCulture) + double.Parse(fields[field + 1], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    private static long? RssBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The fields of /proc/pid/stat after the command name: [0] is the state, [1] the parent.</summary>
    private static string[] StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The inode of the IPv4/IPv6 socket listening on <paramref name="port"/>, from /proc/net/tcp*.</summary>
    private static string? ListeningSocketInode(int port)
    {
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length > 9 && columns[1].EndsWith(hexPort, StringComparison.Ordinal) && columns[3] == "0A")
                {
                    return columns[9];
                }
            }
        }

        return null;
    }

    private static bool HoldsSocket(int pid, string inode)
    {
        try
        {
            var target = $"socket:[{inode}]";
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget == target);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int ParentOf(int pid) => StatFields(pid) is { Length: > 1 } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;

    private static string Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit)).Select(name => int.Parse(name!, CultureInfo.InvariantCulture));

    private static int? FindProcess(Func<int, bool> predicate) => AllPids().Cast<int?>().FirstOrDefault(pid => predicate(pid!.Value));
}

using AuthErrorOps.AppHost.Infrastructure;
using AuthErrorOps.Tests.Infrastructure;
using Xunit;

namespace AuthErrorOps.Tests.Foundation;

public sealed class LocalServerTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task The_local_rabbitmq_node_rolls_its_quorum_log_over_at_64_mb_so_its_memory_stays_bounded()
    {
        // Until the log rolls over, quorum queues keep its entries in memory (the default 512 MB).
        var setting = await infrastructure.RabbitMq.EvalAsync("application:get_env(ra, wal_max_size_bytes).", TestContext.Current.CancellationToken);

        Assert.Contains("{ok,67108864}", setting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_local_rabbitmq_node_takes_its_memory_from_a_super_carrier()
    {
        // Carriers from one reserved area instead of mapped and unmapped by the OS each time (RabbitMqServer.MemoryCarrierArguments).
        var mmap = await infrastructure.RabbitMq.EvalAsync("erlang:system_info({allocator, erts_mmap}).", TestContext.Current.CancellationToken);

        var defaultMmap = mmap[..mmap.IndexOf("literal_mmap", StringComparison.Ordinal)];
        Assert.Contains("{supercarrier,", defaultMmap, StringComparison.Ordinal);
        Assert.Contains("{sco,false}", defaultMmap, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_rabbitmq_node_leaves_no_process_or_folder_behind()
    {
        var node = await RabbitMqServer.StartAsync(new RabbitMqServerOptions { ManagementPlugin = false }, cancellationToken: TestContext.Current.CancellationToken);
        var beam = node.ProcessId;
        var folders = Directory.GetDirectories(LocalProcesses.InstanceRoot, "autherrorops-rmq-*").Length;
        Assert.True(LocalProcesses.IsAlive(beam));

        await node.StopAsync();

        Assert.False(LocalProcesses.IsAlive(beam), "the node's Erlang VM is gone");
        Assert.Empty(ProcessesListeningOn(node.EpmdPort));
        Assert.Equal(folders - 1, Directory.GetDirectories(LocalProcesses.InstanceRoot, "autherrorops-rmq-*").Length);
    }

    [Fact]
    public async Task The_local_postgres_server_tells_whether_its_shared_memory_is_on_huge_pages()
    {
        var postgres = infrastructure.Postgres;
        var needed = await postgres.SharedMemorySizeInHugePagesAsync(TestContext.Current.CancellationToken);
        var onHugePages = postgres.SharedMemoryOnHugePages();
        var description = await postgres.DescribeSharedMemoryAsync(TestContext.Current.CancellationToken);

        // The buffers and the rest of the shared memory, in pages of 2 MB.
        Assert.Contains(postgres.SharedBuffersMegabytes, new[] { 256, 1024 });
        Assert.InRange(needed, postgres.SharedBuffersMegabytes / 2, postgres.SharedBuffersMegabytes);
        Assert.NotNull(onHugePages);
        if (HugePagesReserved() < needed)
        {
            Assert.False(onHugePages, $"the pool holds {HugePagesReserved()} huge pages, fewer than the {needed} PostgreSQL needs, so it fell back to 4-KB pages");
            Assert.Equal(256, postgres.SharedBuffersMegabytes);
            Assert.StartsWith("on 4-KB pages (256 MB of buffers)", description, StringComparison.Ordinal);
            Assert.Contains($"sudo sysctl -w vm.nr_hugepages={PostgresServer.HugePagesForLargeBufferCache}", description, StringComparison.Ordinal);
        }
        else if (onHugePages.Value)
        {
            Assert.Equal($"on huge pages ({needed} of 2 MB, {postgres.SharedBuffersMegabytes} MB of buffers)", description);
        }
    }

    [Theory]
    [InlineData("MemTotal:       24000000 kB\nHugePages_Total:       0\nHugePages_Free:        0\nHugepagesize:       2048 kB\n", 256)]
    [InlineData("HugePages_Total:     200\nHugePages_Free:      200\nHugepagesize:       2048 kB\n", 256)]
    [InlineData("HugePages_Total:     700\nHugePages_Free:      599\nHugepagesize:       2048 kB\n", 256)]
    [InlineData("HugePages_Total:     700\nHugePages_Free:      600\nHugepagesize:       2048 kB\n", 1024)]
    [InlineData("HugePages_Total:       2\nHugePages_Free:        2\nHugepagesize:    1048576 kB\n", 1024)]
    [InlineData("", 256)]
    public void The_buffer_cache_is_large_only_when_the_huge_page_pool_has_room_for_it(string meminfo, int megabytes) =>
        Assert.Equal(megabytes, PostgresServer.BufferCacheMegabytes(meminfo));

    [Fact]
    public async Task Missing_postgres_binaries_fail_with_the_install_command()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            PostgresServer.StartAsync(new PostgresServerOptions { BinDirectory = "/nonexistent/postgresql/bin" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("apt-get install -y postgresql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_rabbitmq_fails_with_the_install_command()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RabbitMqServer.StartAsync(new RabbitMqServerOptions { InstallDirectory = "/nonexistent/rabbitmq/bin" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("apt-get install -y rabbitmq-server", error.Message, StringComparison.Ordinal);
    }

    private static int HugePagesReserved() =>
        File.ReadLines("/proc/meminfo")
            .Where(line => line.StartsWith("HugePages_Total:", StringComparison.Ordinal))
            .Select(line => int.Parse(line["HugePages_Total:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .Single();

    // /proc/net/tcp lists listening sockets (state 0A) with hex ports; no ss/netstat needed.
    private static IEnumerable<string> ProcessesListeningOn(int port) =>
        File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[3] == "0A" && Convert.ToInt32(fields[1].Split(':')[1], 16) == port)
            .Select(fields => fields[1]);
}

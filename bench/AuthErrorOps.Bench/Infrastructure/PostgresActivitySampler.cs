using Dapper;
using Npgsql;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>How many sessions were, on average, in one state and wait event while sampled.</summary>
public sealed record WaitEventCount(string State, string WaitEvent, double AverageSessions, double Share);

/// <summary>
/// Samples pg_stat_activity of the database several times a second: where the server's
/// sessions spend their time (CPU, WAL flush, locks, client round trips).
/// </summary>
public sealed class PostgresActivitySampler(NpgsqlDataSource dataSource, TimeSpan interval) : IAsyncDisposable
{
    // Active sessions with no wait event are running on (or waiting for) a CPU.
    private const string SampleSql = """
        SELECT coalesce(state, 'unknown') AS State,
               CASE WHEN wait_event IS NULL THEN (CASE WHEN state = 'active' THEN 'CPU' ELSE '-' END)
                    ELSE wait_event_type || ':' || wait_event END AS WaitEvent,
               count(*)::int AS Sessions
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        GROUP BY 1, 2
        """;

    private readonly Dictionary<(string State, string WaitEvent), long> _sessions = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _samples;

    public void Start() => _loop = Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(_stop.Token);
            do
            {
                var rows = await connection.QueryAsync<(string State, string WaitEvent, int Sessions)>(new CommandDefinition(SampleSql, cancellationToken: _stop.Token));
                lock (_sessions)
                {
                    _samples++;
                    foreach (var (state, waitEvent, sessions) in rows)
                    {
                        _sessions[(state, waitEvent)] = _sessions.GetValueOrDefault((state, waitEvent)) + sessions;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (NpgsqlException)
        {
            // Sampling is evidence, not the measurement: a lost connection ends it.
        }
    }

    public IReadOnlyList<WaitEventCount> Summary()
    {
        lock (_sessions)
        {
            var total = _sessions.Where(s => s.Key.State != "idle").Sum(s => s.Value);
            return _sessions
                .Select(s => new WaitEventCount(s.Key.State, s.Key.WaitEvent, _samples == 0 ? 0 : (double)s.Value / _samples,
                    s.Key.State == "idle" || total == 0 ? 0 : (double)s.Value / total))
                .OrderByDescending(s => s.AverageSessions)
                .ToList();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}

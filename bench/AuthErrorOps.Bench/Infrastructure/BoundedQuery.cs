using Npgsql;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>
/// A statement over a whole run's rows (seeding a backlog, reading every event's latency), which can
/// take minutes where Npgsql's default command timeout is 30 s. When the timeout runs out the error
/// names the statement and the time it had, instead of Npgsql's bare read timeout.
/// </summary>
public static class BoundedQuery
{
    /// <summary>For a 5-minute run at 3,000 events/s: 900,000 rows read or written in one statement.</summary>
    public static readonly TimeSpan RunSized = TimeSpan.FromMinutes(5);

    /// <param name="what">What the statement does, for the error: "the latency query over the run's events".</param>
    /// <param name="query">Runs the statement with the command timeout (whole seconds) it is given.</param>
    public static async Task<T> RunAsync<T>(string what, TimeSpan timeout, Func<int, Task<T>> query)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        try
        {
            return await query(seconds);
        }
        catch (NpgsqlException exception) when (exception.InnerException is TimeoutException)
        {
            throw new TimeoutException($"{what} did not finish within {seconds} s (command timeout).", exception);
        }
    }
}

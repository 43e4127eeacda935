using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AuthErrorOps.Ingest.Infrastructure;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>What the raw baseline achieved: transactions, row pairs, elapsed time, per-transaction latency.</summary>
public sealed record RawIngestResult(long Transactions, long Events, TimeSpan Elapsed, LatencySummary Latency)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;
}

/// <summary>
/// The ingest write with nothing of ours around it: Npgsql sends the statement Ingest sends (the
/// data-modifying CTE that inserts the error and its outbox row, taken from AuthErrorStore), with values of
/// the same shape and size, from N connections flat out. The rows go to copies of the two tables
/// (same columns, indexes and constraints), so no relay picks them up.
/// </summary>
public static class RawIngestBaseline
{
    private const string CreateTablesSql = """
        CREATE TABLE IF NOT EXISTS bench_auth_error (LIKE auth_error INCLUDING ALL);
        CREATE TABLE IF NOT EXISTS bench_outbox_message (LIKE outbox_message INCLUDING ALL);
        """;

    private const string DropTablesSql = "DROP TABLE IF EXISTS bench_auth_error, bench_outbox_message";

    // Ingest's own statements, pointed at the copies: the baseline cannot drift from what Ingest sends.
    private static readonly string InsertOneSql = AgainstCopies(AuthErrorStore.InsertOneSql);
    private static readonly string InsertManySql = AgainstCopies(AuthErrorStore.InsertManySql);

    private static string AgainstCopies(string sql)
    {
        var copied = sql.Replace("INSERT INTO auth_error ", "INSERT INTO bench_auth_error ", StringComparison.Ordinal)
            .Replace("INSERT INTO outbox_message ", "INSERT INTO bench_outbox_message ", StringComparison.Ordinal);
        if (!copied.Contains("INSERT INTO bench_auth_error ", StringComparison.Ordinal) || !copied.Contains("INSERT INTO bench_outbox_message ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Ingest's insert statements changed shape; the raw baseline could not point them at its copies of the tables.");
        }

        return copied;
    }

    /// <summary>A stored error as Ingest stores it: scrubbed text, hashes, normalised fields.</summary>
    private sealed record Row(string RequestId, Guid EventId, string RequestHash, DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt, string SourceService,
        string Environment, short HttpStatus, string ErrorType, string Severity, bool SecuritySignal, string ExceptionClass, string ExceptionMessage,
        string? RootCauseClass, string? RootCauseMessage, string Stacktrace, string StackHash, short FingerprintVersion, string ClusterTitle,
        string Endpoint, string HttpMethod, string Provider, string ClientType, string UserAgentFamily, string PrincipalHash, string IpHash,
        string TraceId, string? Attributes);

    public static async Task<RawIngestResult> RunAsync(NpgsqlDataSource dataSource, AuthErrorBodies bodies, int connections, TimeSpan duration, int batch,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        await using (var setup = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await setup.ExecuteAsync(new CommandDefinition(CreateTablesSql, cancellationToken: cancellationToken));
        }

        var latencies = new LatencyRecorder();
        long transactions = 0, events = 0, sequence = 0;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        async Task WorkerAsync()
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                var first = Interlocked.Add(ref sequence, batch) - batch;
                var rows = Enumerable.Range(0, batch).Select(i => RowFor(bodies, first + i)).ToList();
                var sent = Stopwatch.GetTimestamp();
                if (batch == 1)
                {
                    var parameters = new DynamicParameters(rows[0]);
                    parameters.AddDynamicParams(new { TraceParent = (string?)null, TraceState = (string?)null });
                    await connection.QueryFirstOrDefaultAsync(new CommandDefinition(InsertOneSql, parameters, cancellationToken: cancellationToken));
                }
                else
                {
                    await connection.QueryAsync(new CommandDefinition(InsertManySql, Columnar(rows), cancellationToken: cancellationToken));
                }

                latencies.Record(Stopwatch.GetElapsedTime(sent));
                Interlocked.Increment(ref transactions);
                progress?.Invoke(Interlocked.Add(ref events, batch));
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(WorkerAsync, cancellationToken)));
            return new RawIngestResult(transactions, events, Stopwatch.GetElapsedTime(started), latencies.Total());
        }
        finally
        {
            await using var cleanup = await dataSource.OpenConnectionAsync(CancellationToken.None);
            await cleanup.ExecuteAsync(DropTablesSql);
        }
    }

    private static Row RowFor(AuthErrorBodies bodies, long n)
    {
        var variant = n % bodies.Variants;
        var requestId = "raw-" + bodies.RequestId(n);
        var now = DateTimeOffset.UtcNow;
        return new Row(requestId, Guid.NewGuid(), Hex(requestId), now, now, "login-api", "prod", 401, "TOKEN_EXPIRED", "MEDIUM", false,
            "Acme.Auth.InvalidTokenException", $"token expired for [EMAIL] at 2026-12-02T10:00:00Z ({n % 1000})", null, null,
            bodies.StackTrace(variant), Hex($"{bodies.RunId}:{variant}"), 1, $"InvalidTokenException at TokenValidator.Validate ({variant})",
            "/oauth/token", "POST", "keycloak", "web", "Chrome", Hex($"user{n % 1000}"), Hex($"ip{n % 250}"), "4bf92f3577b34da6a3ce929d0e0e4736", null);
    }

    private static object Columnar(IReadOnlyList<Row> rows) => new
    {
        RequestId = rows.Select(r => r.RequestId).ToArray(),
        EventId = rows.Select(r => r.EventId).ToArray(),
        RequestHash = rows.Select(r => r.RequestHash).ToArray(),
        OccurredAt = rows.Select(r => r.OccurredAt).ToArray(),
        ReceivedAt = rows.Select(r => r.ReceivedAt).ToArray(),
        SourceService = rows.Select(r => r.SourceService).ToArray(),
        Environment = rows.Select(r => r.Environment).ToArray(),
        HttpStatus = rows.Select(r => r.HttpStatus).ToArray(),
        ErrorType = rows.Select(r => r.ErrorType).ToArray(),
        Severity = rows.Select(r => r.Severity).ToArray(),
        SecuritySignal = rows.Select(r => r.SecuritySignal).ToArray(),
        ExceptionClass = rows.Select(r => r.ExceptionClass).ToArray(),
        ExceptionMessage = rows.Select(r => r.ExceptionMessage).ToArray(),
        RootCauseClass = rows.Select(r => r.RootCauseClass).ToArray(),
        RootCauseMessage = rows.Select(r => r.RootCauseMessage).ToArray(),
        Stacktrace = rows.Select(r => r.Stacktrace).ToArray(),
        StackHash = rows.Select(r => r.StackHash).ToArray(),
        FingerprintVersion = rows.Select(r => r.FingerprintVersion).ToArray(),
        ClusterTitle = rows.Select(r => r.ClusterTitle).ToArray(),
        Endpoint = rows.Select(r => r.Endpoint).ToArray(),
        HttpMethod = rows.Select(r => r.HttpMethod).ToArray(),
        Provider = rows.Select(r => r.Provider).ToArray(),
        ClientType = rows.Select(r => r.ClientType).ToArray(),
        UserAgentFamily = rows.Select(r => r.UserAgentFamily).ToArray(),
        PrincipalHash = rows.Select(r => r.PrincipalHash).ToArray(),
        IpHash = rows.Select(r => r.IpHash).ToArray(),
        TraceId = rows.Select(r => r.TraceId).ToArray(),
        Attributes = rows.Select(r => r.Attributes).ToArray(),
        TraceParent = (string?)null,
        TraceState = (string?)null,
    };

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
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
/// data-modifying CTE that inserts the error and its outbox row), with values of
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

    private const string Columns = """
        request_id, event_id, request_hash, occurred_at, received_at, source_service, environment, http_status,
        error_type, severity, security_signal, exception_class, exception_message, root_cause_class, root_cause_message,
        stacktrace, stack_hash, fingerprint_version, cluster_title, endpoint, http_method, provider, client_type, user_agent_family,
        principal_hash, ip_hash, trace_id, attributes
        """;

    private const string OutboxInsert = """
        outbox AS (
            INSERT INTO bench_outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash, trace_parent, trace_state)
            SELECT i.event_id, 'auth_error', i.id::text, 'auth.error.recorded.v1', p.payload,
                   encode(sha256(convert_to(p.payload::text, 'UTF8')), 'hex'), i.trace_parent, i.trace_state
            FROM inserted i
            CROSS JOIN LATERAL (SELECT jsonb_build_object(
                'eventId', i.event_id, 'authErrorId', i.id, 'requestId', i.request_id, 'stackHash', i.stack_hash,
                'errorType', i.error_type, 'occurredAt', i.occurred_at, 'receivedAt', i.received_at,
                'traceParent', i.trace_parent, 'traceState', i.trace_state) AS payload) p
        )
        """;

    private const string InsertOneSql = $"""
        WITH inserted AS (
            INSERT INTO bench_auth_error ({Columns})
            VALUES (@RequestId, @EventId, @RequestHash, @OccurredAt, @ReceivedAt, @SourceService, @Environment, @HttpStatus,
                    @ErrorType, @Severity, @SecuritySignal, @ExceptionClass, @ExceptionMessage, @RootCauseClass, @RootCauseMessage,
                    @Stacktrace, @StackHash, @FingerprintVersion, @ClusterTitle, @Endpoint, @HttpMethod, @Provider, @ClientType, @UserAgentFamily,
                    @PrincipalHash, @IpHash, @TraceId, @Attributes::jsonb)
            ON CONFLICT (request_id) DO NOTHING
            RETURNING id, request_id, event_id, stack_hash, error_type, occurred_at, received_at,
                      @TraceParent::varchar AS trace_parent, @TraceState::varchar AS trace_state
        ),
        {OutboxInsert}
        SELECT id AS AuthErrorId, event_id AS EventId, stack_hash AS StackHash, @RequestHash AS RequestHash FROM inserted;
        """;

    private const string InsertManySql = $"""
        WITH input AS (
            SELECT * FROM unnest(
                @RequestId::varchar[], @EventId::uuid[], @RequestHash::char(64)[], @OccurredAt::timestamptz[], @ReceivedAt::timestamptz[],
                @SourceService::varchar[], @Environment::varchar[], @HttpStatus::smallint[], @ErrorType::varchar[], @Severity::varchar[],
                @SecuritySignal::boolean[], @ExceptionClass::varchar[], @ExceptionMessage::varchar[], @RootCauseClass::varchar[],
                @RootCauseMessage::varchar[], @Stacktrace::varchar[], @StackHash::char(64)[], @FingerprintVersion::smallint[],
                @ClusterTitle::varchar[], @Endpoint::varchar[], @HttpMethod::varchar[], @Provider::varchar[], @ClientType::varchar[], @UserAgentFamily::varchar[],
                @PrincipalHash::char(64)[], @IpHash::char(64)[], @TraceId::varchar[], @Attributes::jsonb[])
            WITH ORDINALITY AS t({Columns}, ordinal)
        ),
        inserted AS (
            INSERT INTO bench_auth_error ({Columns})
            SELECT {Columns} FROM input ORDER BY ordinal
            ON CONFLICT (request_id) DO NOTHING
            RETURNING id, request_id, event_id, stack_hash, error_type, occurred_at, received_at,
                      @TraceParent::varchar AS trace_parent, @TraceState::varchar AS trace_state
        ),
        {OutboxInsert}
        SELECT request_id AS RequestId, id AS AuthErrorId FROM inserted;
        """;

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

using AuthErrorOps.Core.Messaging;
using AuthErrorOps.Ingest.Model;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Ingest.Infrastructure;

public sealed record StoredIds(long AuthErrorId, Guid EventId, string StackHash, string RequestHash);

/// <summary>
/// Writes auth_error rows and their outbox_message rows in one statement (one transaction, one
/// round trip), then has <see cref="OutboxNotifier"/> wake the relay.
/// </summary>
public sealed class AuthErrorStore(NpgsqlDataSource dataSource, OutboxNotifier notifier)
{
    // The event payload carries ids only; the consumer reads the stored, scrubbed row.
    private const string OutboxInsert = $"""
        outbox AS (
            INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash, trace_parent, trace_state)
            SELECT i.event_id, 'auth_error', i.id::text, '{AuthErrorTopology.RecordedEventType}', p.payload,
                   encode(sha256(convert_to(p.payload::text, 'UTF8')), 'hex'), i.trace_parent, i.trace_state
            FROM inserted i
            CROSS JOIN LATERAL (SELECT jsonb_build_object(
                'eventId', i.event_id, 'authErrorId', i.id, 'requestId', i.request_id, 'stackHash', i.stack_hash,
                'errorType', i.error_type, 'occurredAt', i.occurred_at, 'receivedAt', i.received_at,
                'traceParent', i.trace_parent, 'traceState', i.trace_state) AS payload) p
        )
        """;

    private const string Columns = """
        request_id, event_id, request_hash, occurred_at, received_at, source_service, environment, http_status,
        error_type, severity, security_signal, exception_class, exception_message, root_cause_class, root_cause_message,
        stacktrace, stack_hash, fingerprint_version, cluster_title, endpoint, http_method, provider, client_type, user_agent_family,
        principal_hash, ip_hash, trace_id, attributes
        """;

    // Internal: the bench's raw baseline runs these very statements against copies of the tables.
    internal const string InsertOneSql = $"""
        WITH inserted AS (
            INSERT INTO auth_error ({Columns})
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

    internal const string InsertManySql = $"""
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
            INSERT INTO auth_error ({Columns})
            -- request_id order: concurrent batches that share request ids lock them in the same order (no deadlock).
            SELECT {Columns} FROM input ORDER BY request_id
            ON CONFLICT (request_id) DO NOTHING
            RETURNING id, request_id, event_id, stack_hash, error_type, occurred_at, received_at,
                      @TraceParent::varchar AS trace_parent, @TraceState::varchar AS trace_state
        ),
        {OutboxInsert}
        SELECT request_id AS RequestId, id AS AuthErrorId FROM inserted;
        """;

    private const string FindByRequestIdsSql = """
        SELECT request_id AS RequestId, id AS AuthErrorId, event_id AS EventId, stack_hash AS StackHash, request_hash AS RequestHash
        FROM auth_error
        WHERE request_id = ANY(@RequestIds)
        """;

    /// <summary>Stores a new report, or returns null when its requestId is already taken (see <see cref="FindAsync"/>).</summary>
    public async Task<StoredIds?> InsertAsync(NormalizedAuthError error, TraceContext trace, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters(error);
        parameters.AddDynamicParams(new { trace.TraceParent, trace.TraceState });
        var stored = await connection.QueryFirstOrDefaultAsync<StoredIds>(new CommandDefinition(InsertOneSql, parameters, cancellationToken: cancellationToken));
        if (stored is not null)
        {
            notifier.RowsCommitted();
        }

        return stored;
    }

    /// <summary>Stores new reports in one transaction; returns the ids of those whose requestId was free.</summary>
    public async Task<IReadOnlyDictionary<string, long>> InsertManyAsync(IReadOnlyList<NormalizedAuthError> errors, TraceContext trace, CancellationToken cancellationToken)
    {
        var parameters = new
        {
            RequestId = errors.Select(e => e.RequestId).ToArray(),
            EventId = errors.Select(e => e.EventId).ToArray(),
            RequestHash = errors.Select(e => e.RequestHash).ToArray(),
            OccurredAt = errors.Select(e => e.OccurredAt).ToArray(),
            ReceivedAt = errors.Select(e => e.ReceivedAt).ToArray(),
            SourceService = errors.Select(e => e.SourceService).ToArray(),
            Environment = errors.Select(e => e.Environment).ToArray(),
            HttpStatus = errors.Select(e => e.HttpStatus).ToArray(),
            ErrorType = errors.Select(e => e.ErrorType).ToArray(),
            Severity = errors.Select(e => e.Severity).ToArray(),
            SecuritySignal = errors.Select(e => e.SecuritySignal).ToArray(),
            ExceptionClass = errors.Select(e => e.ExceptionClass).ToArray(),
            ExceptionMessage = errors.Select(e => e.ExceptionMessage).ToArray(),
            RootCauseClass = errors.Select(e => e.RootCauseClass).ToArray(),
            RootCauseMessage = errors.Select(e => e.RootCauseMessage).ToArray(),
            Stacktrace = errors.Select(e => e.Stacktrace).ToArray(),
            StackHash = errors.Select(e => e.StackHash).ToArray(),
            FingerprintVersion = errors.Select(e => e.FingerprintVersion).ToArray(),
            ClusterTitle = errors.Select(e => e.ClusterTitle).ToArray(),
            Endpoint = errors.Select(e => e.Endpoint).ToArray(),
            HttpMethod = errors.Select(e => e.HttpMethod).ToArray(),
            Provider = errors.Select(e => e.Provider).ToArray(),
            ClientType = errors.Select(e => e.ClientType).ToArray(),
            UserAgentFamily = errors.Select(e => e.UserAgentFamily).ToArray(),
            PrincipalHash = errors.Select(e => e.PrincipalHash).ToArray(),
            IpHash = errors.Select(e => e.IpHash).ToArray(),
            TraceId = errors.Select(e => e.TraceId).ToArray(),
            Attributes = errors.Select(e => e.Attributes).ToArray(),
            trace.TraceParent,
            trace.TraceState,
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var inserted = (await connection.QueryAsync<(string RequestId, long AuthErrorId)>(new CommandDefinition(InsertManySql, parameters, cancellationToken: cancellationToken))).AsList();
        if (inserted.Count > 0)
        {
            notifier.RowsCommitted();
        }

        return inserted.ToDictionary(row => row.RequestId, row => row.AuthErrorId, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<string, StoredIds>> FindAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string RequestId, long AuthErrorId, Guid EventId, string StackHash, string RequestHash)>(
            new CommandDefinition(FindByRequestIdsSql, new { RequestIds = requestIds.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToDictionary(row => row.RequestId, row => new StoredIds(row.AuthErrorId, row.EventId, row.StackHash, row.RequestHash), StringComparer.Ordinal);
    }
}

/// <summary>W3C trace context of the request that wrote the rows; the relay's publish span continues it.</summary>
public sealed record TraceContext(string? TraceParent, string? TraceState)
{
    public static TraceContext Current() =>
        System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } activity
            ? new TraceContext(activity.Id, activity.TraceStateString)
            : new TraceContext(null, null);
}

using System.Text;
using AuthErrorOps.Core.Messaging;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Bench.Infrastructure;

/// <summary>A stored error and the event the relay would publish for it.</summary>
public sealed record SeededEvent(long AuthErrorId, Guid EventId, string Payload)
{
    public OutgoingMessage ToMessage() => new(EventId.ToString(), AuthErrorTopology.RecordedEventType, Encoding.UTF8.GetBytes(Payload));
}

/// <summary>
/// Fills a stage before its service runs, with one multi-row INSERT … SELECT per table (no
/// per-row round trips): PENDING outbox rows for the relay; stored errors, their PUBLISHED
/// outbox rows and their events for the consumer.
/// </summary>
public static class PipelineSeeder
{
    // A backlog is seeded in one statement: 100,000 rows by default (relay and consumer benchmarks), more on request.
    private static readonly TimeSpan SeedTimeout = TimeSpan.FromMinutes(10);

    // Payload exactly as Ingest builds it: ids only.
    private const string PendingOutboxSql = """
        INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash)
        SELECT e.event_id, 'auth_error', e.n::text, 'auth.error.recorded.v1', p.payload,
               encode(sha256(convert_to(p.payload::text, 'UTF8')), 'hex')
        FROM (SELECT n, gen_random_uuid() AS event_id FROM generate_series(1, @Count) AS n) e
        CROSS JOIN LATERAL (SELECT jsonb_build_object(
            'eventId', e.event_id, 'authErrorId', e.n, 'requestId', 'bench-' || @Run || '-' || e.n,
            'stackHash', encode(sha256(convert_to(@Run || ':' || (e.n % 30), 'UTF8')), 'hex'),
            'errorType', 'TOKEN_EXPIRED', 'occurredAt', now(), 'receivedAt', now(),
            'traceParent', NULL, 'traceState', NULL) AS payload) p
        """;

    private const string StoredErrorsSql = """
        WITH inserted AS (
            INSERT INTO auth_error (request_id, event_id, request_hash, occurred_at, received_at, source_service, environment, http_status,
                                    error_type, severity, exception_class, exception_message, stacktrace, stack_hash, fingerprint_version,
                                    cluster_title, endpoint, http_method, provider, client_type, user_agent_family, principal_hash, ip_hash)
            SELECT 'bench-' || @Run || '-' || n, gen_random_uuid(), encode(sha256(convert_to(@Run || '/' || n, 'UTF8')), 'hex'),
                   now(), now(), 'login-api', 'prod', 401, 'TOKEN_EXPIRED', 'MEDIUM', 'Acme.Auth.InvalidTokenException',
                   'token expired for [EMAIL]', @Stack || (n % @Variants), encode(sha256(convert_to(@Run || ':' || (n % @Variants), 'UTF8')), 'hex'), 1,
                   'InvalidTokenException at Variant' || (n % @Variants) || '.TokenValidator.Validate', '/oauth/token', 'POST', 'keycloak', 'web', 'Chrome',
                   encode(sha256(convert_to('user' || (n % 1000), 'UTF8')), 'hex'), encode(sha256(convert_to('ip' || (n % 250), 'UTF8')), 'hex')
            FROM generate_series(1, @Count) AS n
            RETURNING id, request_id, event_id, stack_hash, error_type, occurred_at, received_at
        ),
        outbox AS (
            INSERT INTO outbox_message (event_id, aggregate_type, aggregate_id, event_type, payload, payload_hash, status, published_at)
            SELECT i.event_id, 'auth_error', i.id::text, 'auth.error.recorded.v1', p.payload,
                   encode(sha256(convert_to(p.payload::text, 'UTF8')), 'hex'), 'PUBLISHED', now()
            FROM inserted i
            CROSS JOIN LATERAL (SELECT jsonb_build_object(
                'eventId', i.event_id, 'authErrorId', i.id, 'requestId', i.request_id, 'stackHash', i.stack_hash,
                'errorType', i.error_type, 'occurredAt', i.occurred_at, 'receivedAt', i.received_at,
                'traceParent', NULL, 'traceState', NULL) AS payload) p
            RETURNING aggregate_id, event_id, payload::text AS payload
        )
        SELECT aggregate_id::bigint AS AuthErrorId, event_id AS EventId, payload AS Payload FROM outbox ORDER BY 1
        """;

    public static async Task SeedPendingOutboxAsync(NpgsqlDataSource dataSource, string runId, int count, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await BoundedQuery.RunAsync($"seeding {count:N0} pending outbox rows", SeedTimeout, timeout =>
            connection.ExecuteAsync(new CommandDefinition(PendingOutboxSql, new { Run = runId, Count = count }, commandTimeout: timeout, cancellationToken: cancellationToken)));
    }

    /// <summary>Stores <paramref name="count"/> errors over <paramref name="variants"/> clusters of this run; returns their events.</summary>
    public static async Task<IReadOnlyList<SeededEvent>> SeedStoredErrorsAsync(NpgsqlDataSource dataSource, string runId, int count, int variants, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var stack = $"   at Acme.Bench{runId}.TokenValidator.Validate(String token) in /src/Acme.Auth/TokenValidator.cs:line 42\n   at Acme.Bench{runId}.Variant";
        var events = await BoundedQuery.RunAsync($"seeding {count:N0} stored errors", SeedTimeout, timeout =>
            connection.QueryAsync<SeededEvent>(new CommandDefinition(StoredErrorsSql,
                new { Run = runId, Count = count, Variants = variants, Stack = stack }, commandTimeout: timeout, cancellationToken: cancellationToken)));
        return events.ToList();
    }
}

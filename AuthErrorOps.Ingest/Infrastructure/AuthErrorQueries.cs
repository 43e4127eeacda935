using System.Text.Json;
using Dapper;
using Npgsql;

namespace AuthErrorOps.Ingest.Infrastructure;

public sealed record PipelineState(string Status, string? OutboxStatus, int? OutboxAttempts, string? OutboxLastError, DateTimeOffset? PublishedAt, long? ClusterId);

public sealed record AuthErrorDetails(
    long AuthErrorId, string RequestId, Guid EventId, DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt,
    string? SourceService, string? Environment, int HttpStatus, string ErrorType, string Severity, bool SecuritySignal,
    string ExceptionClass, string? ExceptionMessage, string? RootCauseClass, string? RootCauseMessage,
    string Stacktrace, string StackHash, int FingerprintVersion, string? Endpoint, string? HttpMethod, string? Provider,
    string? ClientType, string? UserAgentFamily, string? PrincipalHash, string? IpHash, string? TraceId,
    JsonElement? Attributes, PipelineState Pipeline);

/// <summary>Reads of auth_error with its outbox and cluster state.</summary>
public sealed class AuthErrorQueries(NpgsqlDataSource dataSource)
{
    private const string GetSql = """
        SELECT a.id, a.request_id, a.event_id, a.occurred_at, a.received_at, a.source_service, a.environment, a.http_status,
               a.error_type, a.severity, a.security_signal, a.exception_class, a.exception_message, a.root_cause_class,
               a.root_cause_message, a.stacktrace, a.stack_hash, a.fingerprint_version, a.endpoint, a.http_method, a.provider,
               a.client_type, a.user_agent_family, a.principal_hash, a.ip_hash, a.trace_id, a.attributes::text AS attributes,
               a.status, o.status AS outbox_status, o.attempts AS outbox_attempts, o.last_error AS outbox_last_error,
               o.published_at, ci.cluster_id
        FROM auth_error a
        LEFT JOIN outbox_message o ON o.event_id = a.event_id
        LEFT JOIN auth_error_cluster_item ci ON ci.auth_error_id = a.id
        WHERE a.id = @id
        """;

    public async Task<AuthErrorDetails?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(GetSql, new { id }, cancellationToken: cancellationToken));
        return row?.ToDetails();
    }

    private sealed record Row(
        long Id, string RequestId, Guid EventId, DateTime OccurredAt, DateTime ReceivedAt, string? SourceService, string? Environment,
        short HttpStatus, string ErrorType, string Severity, bool SecuritySignal, string ExceptionClass, string? ExceptionMessage,
        string? RootCauseClass, string? RootCauseMessage, string Stacktrace, string StackHash, short FingerprintVersion,
        string? Endpoint, string? HttpMethod, string? Provider, string? ClientType, string? UserAgentFamily, string? PrincipalHash,
        string? IpHash, string? TraceId, string? Attributes, string Status, string? OutboxStatus, int? OutboxAttempts,
        string? OutboxLastError, DateTime? PublishedAt, long? ClusterId)
    {
        public AuthErrorDetails ToDetails() => new(
            Id, RequestId, EventId, Utc(OccurredAt), Utc(ReceivedAt), SourceService, Environment, HttpStatus, ErrorType, Severity,
            SecuritySignal, ExceptionClass, ExceptionMessage, RootCauseClass, RootCauseMessage, Stacktrace, StackHash, FingerprintVersion,
            Endpoint, HttpMethod, Provider, ClientType, UserAgentFamily, PrincipalHash, IpHash, TraceId,
            Attributes is null ? null : JsonDocument.Parse(Attributes).RootElement.Clone(),
            new PipelineState(Status, OutboxStatus, OutboxAttempts, OutboxLastError, PublishedAt is { } published ? Utc(published) : null, ClusterId));

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
    }
}
